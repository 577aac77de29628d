//! `-f FILE` and `-i IMAGE`: files read here, by the client, and sent with the message (the
//! daemon never opens a client's paths). A directory gives its text files (hidden ones and
//! binaries skipped, within a total cap); a file named outright that is binary, too big, or
//! an image of another type is refused before anything is sent.

use crate::exit::ClientError;
use chinwag_protocol::{Attachment, AttachmentKind, image_mime};
use std::path::{Path, PathBuf};

/// The largest text file: the daemon's own cap.
pub const MAX_TEXT_BYTES: u64 = chinwagd::chat::attachments::MAX_TEXT_BYTES as u64;
/// The largest image: the daemon's own cap.
pub const MAX_IMAGE_BYTES: u64 = chinwagd::chat::attachments::MAX_IMAGE_BYTES as u64;
/// All the text a directory may give.
const MAX_DIR_BYTES: u64 = 4 << 20;
/// Files one message may carry: the daemon's own cap.
const MAX_FILES: usize = chinwagd::chat::attachments::MAX_ATTACHMENTS;

fn usage(msg: String) -> ClientError {
    ClientError::Usage(msg)
}

/// A text file's contents, or why it is not one.
fn text_of(path: &Path) -> Result<String, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(format!(
            "{} is {} KiB; a text file may be up to {} KiB",
            path.display(),
            bytes.len() / 1024,
            MAX_TEXT_BYTES / 1024
        ));
    }
    if bytes[..bytes.len().min(8192)].contains(&0) {
        return Err(format!(
            "{} is a binary file; -f takes text (images go with -i)",
            path.display()
        ));
    }
    String::from_utf8(bytes).map_err(|_| format!("{} is not UTF-8 text", path.display()))
}

fn text_attachment(name: String, text: String) -> Attachment {
    Attachment {
        name,
        kind: AttachmentKind::Text,
        bytes: text.len() as u64,
        mime: None,
        text: Some(text),
        data: None,
    }
}

/// The text files under `dir`, sorted, skipping hidden entries, binaries and symlinks.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), ClientError> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| usage(format!("{}: {e}", dir.display())))?
        .filter_map(Result::ok)
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(kind) = e.file_type() else { continue };
        if kind.is_dir() {
            walk(&e.path(), out)?;
        } else if kind.is_file() {
            out.push(e.path());
        }
    }
    Ok(())
}

/// `-f` paths as attachments.
pub fn read_files(paths: &[PathBuf]) -> Result<Vec<Attachment>, ClientError> {
    let mut out = Vec::new();
    for path in paths {
        let meta =
            std::fs::metadata(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        if !meta.is_dir() {
            let text = text_of(path).map_err(usage)?;
            out.push(text_attachment(path.display().to_string(), text));
            continue;
        }
        let mut found = Vec::new();
        walk(path, &mut found)?;
        let (mut total, mut skipped) = (0u64, 0usize);
        for file in found {
            match text_of(&file) {
                Ok(text) if total + text.len() as u64 <= MAX_DIR_BYTES => {
                    total += text.len() as u64;
                    out.push(text_attachment(file.display().to_string(), text));
                }
                _ => skipped += 1,
            }
        }
        if skipped > 0 {
            eprintln!(
                "chinwag: {}: {skipped} files left out (binary, not UTF-8, or past {} MiB in all)",
                path.display(),
                MAX_DIR_BYTES >> 20
            );
        }
    }
    Ok(out)
}

/// `-i` paths as attachments: PNG, JPEG or WebP, by their bytes.
pub fn read_images(paths: &[PathBuf]) -> Result<Vec<Attachment>, ClientError> {
    use base64::Engine as _;
    let mut out = Vec::new();
    for path in paths {
        let bytes = std::fs::read(path).map_err(|e| usage(format!("{}: {e}", path.display())))?;
        if bytes.len() as u64 > MAX_IMAGE_BYTES {
            return Err(usage(format!(
                "{} is {} MiB; an image may be up to {} MiB",
                path.display(),
                bytes.len() >> 20,
                MAX_IMAGE_BYTES >> 20
            )));
        }
        let mime = image_mime(&bytes).ok_or_else(|| {
            usage(format!(
                "{} is not a PNG, JPEG or WebP image",
                path.display()
            ))
        })?;
        out.push(Attachment {
            name: path.display().to_string(),
            kind: AttachmentKind::Image,
            bytes: bytes.len() as u64,
            mime: Some(mime.to_string()),
            text: None,
            data: Some(base64::engine::general_purpose::STANDARD.encode(&bytes)),
        });
    }
    Ok(out)
}

/// All of a message's files, checked against the counts the daemon takes.
pub fn attachments(files: &[PathBuf], images: &[PathBuf]) -> Result<Vec<Attachment>, ClientError> {
    let mut all = read_files(files)?;
    all.extend(read_images(images)?);
    if all.len() > MAX_FILES {
        return Err(usage(format!(
            "{} files; a message takes at most {MAX_FILES} (name fewer, or a narrower directory)",
            all.len()
        )));
    }
    Ok(all)
}

/// Files named in a chat screen message (`@path`): images by their extension, the rest as
/// text (a directory: its text files). `Err` says why in words.
pub fn named(paths: &[String]) -> Result<Vec<Attachment>, String> {
    let is_image = |p: &str| {
        let lower = p.to_ascii_lowercase();
        [".png", ".jpg", ".jpeg", ".webp"]
            .iter()
            .any(|e| lower.ends_with(e))
    };
    let (images, texts): (Vec<PathBuf>, Vec<PathBuf>) = {
        let (i, t): (Vec<&String>, Vec<&String>) = paths.iter().partition(|p| is_image(p));
        (
            i.into_iter().map(PathBuf::from).collect(),
            t.into_iter().map(PathBuf::from).collect(),
        )
    };
    attachments(&texts, &images).map_err(|e| e.to_string())
}

/// Paths that start with `prefix` (relative to here, or absolute), sorted, directories
/// ending in `/`, hidden ones only when the prefix asks for them; at most 200.
pub fn complete_path(prefix: &str) -> Vec<String> {
    let (dir, start) = match prefix.rfind('/') {
        Some(i) => (&prefix[..=i], &prefix[i + 1..]),
        None => ("", prefix),
    };
    let listed = if dir.is_empty() { "." } else { dir };
    let Ok(entries) = std::fs::read_dir(listed) else {
        return Vec::new();
    };
    let mut out: Vec<String> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if !name.starts_with(start) || (name.starts_with('.') && !start.starts_with('.')) {
                return None;
            }
            let slash = if e.path().is_dir() { "/" } else { "" };
            Some(format!("{dir}{name}{slash}"))
        })
        .collect();
    out.sort();
    out.truncate(200);
    out
}

/// The `@path` words of a message (an `@` at the start of a word, then a path).
pub fn at_paths(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter_map(|w| w.strip_prefix('@'))
        .map(|p| p.trim_end_matches([',', ';', ':', '?', '!', ')']))
        .filter(|p| !p.is_empty() && !p.contains('@'))
        .map(str::to_string)
        .collect()
}

/// Bytes the attachments add to the message's frame.
pub fn frame_bytes(all: &[Attachment]) -> u64 {
    all.iter()
        .map(|a| {
            (a.text.as_ref().map_or(0, String::len)
                + a.data.as_ref().map_or(0, String::len)
                + a.name.len()
                + 64) as u64
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_gives_its_text_files_and_binaries_named_outright_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path();
        std::fs::create_dir_all(d.join("src/.git")).unwrap();
        std::fs::write(d.join("src/a.rs"), "fn a() {}\n").unwrap();
        std::fs::write(d.join("src/b.bin"), b"\0\x01").unwrap();
        std::fs::write(d.join("src/.git/config"), "x").unwrap();
        let got = read_files(&[d.join("src")]).unwrap();
        let names: Vec<&str> = got.iter().map(|a| a.name.as_str()).collect();
        assert_eq!(names, [d.join("src/a.rs").display().to_string()]);
        assert_eq!(got[0].text.as_deref(), Some("fn a() {}\n"));
        let e = read_files(&[d.join("src/b.bin")]).unwrap_err();
        assert!(e.to_string().contains("is a binary file"), "{e}");
        std::fs::write(d.join("big.txt"), "x".repeat(MAX_TEXT_BYTES as usize + 1)).unwrap();
        let e = read_files(&[d.join("big.txt")]).unwrap_err();
        assert!(e.to_string().contains("may be up to"), "{e}");
    }

    #[test]
    fn paths_complete_with_directories_marked_and_hidden_ones_only_when_asked() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::create_dir(dir.path().join("src")).unwrap();
        std::fs::write(dir.path().join("setup.py"), "").unwrap();
        std::fs::write(dir.path().join(".secret"), "").unwrap();
        assert_eq!(
            complete_path(&format!("{d}/s")),
            [format!("{d}/setup.py"), format!("{d}/src/")]
        );
        assert_eq!(complete_path(&format!("{d}/")).len(), 2);
        assert_eq!(complete_path(&format!("{d}/.s")), [format!("{d}/.secret")]);
    }

    #[test]
    fn at_words_name_paths_and_emails_do_not() {
        assert_eq!(
            at_paths("see @src/a.rs, and @b.png? mail me@x.org or @ alone"),
            ["src/a.rs", "b.png"]
        );
    }

    #[test]
    fn images_are_known_by_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let png = dir.path().join("a.png");
        std::fs::write(&png, b"\x89PNG\r\n\x1a\n\0\0").unwrap();
        let got = read_images(&[png]).unwrap();
        assert_eq!(got[0].mime.as_deref(), Some("image/png"));
        assert_eq!(got[0].data.as_deref(), Some("iVBORw0KGgoAAA=="));
        let gif = dir.path().join("b.png");
        std::fs::write(&gif, b"GIF89a").unwrap();
        let e = read_images(&[gif]).unwrap_err();
        assert!(e.to_string().contains("not a PNG, JPEG or WebP"), "{e}");
    }
}
