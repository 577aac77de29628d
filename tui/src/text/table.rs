//! Markdown tables drawn with box-drawing lines. Columns get their natural width when the
//! table fits; otherwise the widest columns give up space first and their cells wrap.

use super::theme::Theme;
use super::wrap::{self, Mode};
use pulldown_cmark::Alignment;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};

type Cell = Vec<Span<'static>>;

fn cell_width(cell: &Cell) -> usize {
    cell.iter().map(|s| wrap::width(&s.content)).sum()
}

/// Column widths that fit `avail` cells of content, shrinking the widest columns first.
pub fn column_widths(natural: &[usize], avail: usize) -> Vec<usize> {
    let mut widths: Vec<usize> = natural.iter().map(|&w| w.max(1)).collect();
    let min = 3;
    while widths.iter().sum::<usize>() > avail {
        let Some((i, &w)) = widths.iter().enumerate().max_by_key(|&(_, w)| *w) else {
            break;
        };
        if w <= min {
            break;
        }
        widths[i] = w - 1;
    }
    widths
}

/// Lays out `rows` (the first `header_rows` are the header) within `width`, each line
/// starting with `prefix`.
pub fn layout(
    rows: &[Vec<Cell>],
    header_rows: usize,
    aligns: &[Alignment],
    width: usize,
    prefix: &[Span<'static>],
    theme: &Theme,
) -> Vec<Line<'static>> {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    if cols == 0 {
        return Vec::new();
    }
    let mut natural = vec![0; cols];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            natural[i] = natural[i].max(cell_width(cell));
        }
    }
    let prefix_w: usize = prefix.iter().map(|s| wrap::width(&s.content)).sum();
    let overhead = 3 * cols + 1;
    let avail = width.saturating_sub(prefix_w + overhead).max(cols);
    let widths = column_widths(&natural, avail);
    let border = theme.dim;
    let rule = |left: &str, mid: &str, right: &str| {
        let mut spans = prefix.to_vec();
        let mut s = left.to_string();
        for (i, w) in widths.iter().enumerate() {
            s.push_str(&"─".repeat(w + 2));
            s.push_str(if i + 1 == cols { right } else { mid });
        }
        spans.push(Span::styled(s, border));
        Line::from(spans)
    };
    let mut out = vec![rule("┌", "┬", "┐")];
    let empty = Cell::new();
    for (r, row) in rows.iter().enumerate() {
        let header = r < header_rows;
        let wrapped: Vec<Vec<Line<'static>>> = (0..cols)
            .map(|c| {
                let mut cell = row.get(c).unwrap_or(&empty).clone();
                if header {
                    for s in &mut cell {
                        s.style = s.style.add_modifier(Modifier::BOLD);
                    }
                }
                wrap::wrap(&cell, widths[c], Mode::Words, &[], &[])
            })
            .collect();
        let height = wrapped.iter().map(Vec::len).max().unwrap_or(1);
        for i in 0..height {
            let mut spans = prefix.to_vec();
            spans.push(Span::styled("│", border));
            for (c, lines) in wrapped.iter().enumerate() {
                let line = lines.get(i).cloned().unwrap_or_default();
                let pad = widths[c].saturating_sub(line.width());
                let (left, right) = match aligns.get(c) {
                    Some(Alignment::Right) => (pad, 0),
                    Some(Alignment::Center) => (pad / 2, pad - pad / 2),
                    _ => (0, pad),
                };
                spans.push(Span::raw(" ".repeat(left + 1)));
                spans.extend(line.spans);
                spans.push(Span::raw(" ".repeat(right + 1)));
                spans.push(Span::styled("│", border));
            }
            out.push(Line::from(spans));
        }
        if header && r + 1 == header_rows && rows.len() > header_rows {
            out.push(rule("├", "┼", "┤"));
        }
    }
    out.push(rule("└", "┴", "┘"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(s: &str) -> Cell {
        vec![Span::raw(s.to_string())]
    }

    #[test]
    fn widest_columns_shrink_first() {
        assert_eq!(column_widths(&[5, 30, 10], 100), [5, 30, 10]);
        assert_eq!(column_widths(&[5, 30, 10], 25), [5, 10, 10]);
        assert_eq!(column_widths(&[5, 30, 10], 3), [3, 3, 3]);
    }

    #[test]
    fn a_narrow_table_wraps_its_cells() {
        let rows = vec![
            vec![cell("name"), cell("what")],
            vec![cell("ls"), cell("lists the files in a directory")],
        ];
        let lines = layout(&rows, 1, &[], 24, &[], &Theme::plain());
        let text: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
        assert_eq!(
            text,
            [
                "┌──────┬───────────────┐",
                "│ name │ what          │",
                "├──────┼───────────────┤",
                "│ ls   │ lists the     │",
                "│      │ files in a    │",
                "│      │ directory     │",
                "└──────┴───────────────┘",
            ]
        );
    }
}
