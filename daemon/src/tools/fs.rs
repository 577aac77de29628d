//! `read_file`, `list_dir` and `search_text`: read-only, inside the executor's root. Every
//! open goes through `openat2(RESOLVE_BENEATH)` from the root's descriptor, so no path, `..`
//! or symlink (even one swapped in meanwhile) leads outside; the kernel enforces it.

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, ResolveFlags};
use serde_json::Value;
use std::ffi::OsStr;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// What a tool gave back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    pub text: String,
    pub ok: bool,
    pub truncated: bool,
}

impl Output {
    pub fn failed(text: impl Into<String>) -> Output {
        Output {
            text: text.into(),
            ok: false,
            truncated: false,
        }
    }
}

/// Files larger than this are not searched.
const SEARCH_FILE_MAX: u64 = 2 << 20;
/// Files looked at by one search, at most.
const SEARCH_FILES_MAX: usize = 5000;
/// Matching lines reported by one search, at most.
const SEARCH_HITS_MAX: usize = 200;
/// A matching line is shown up to this many characters.
const LINE_CHARS_MAX: usize = 240;
/// Entries `list_dir` shows, at most.
const LIST_MAX: usize = 1000;

/// The `path` argument as a path relative to `root` (an absolute one must lie inside it
/// lexically; the kernel holds the rest). `Err` is (rule, reason).
pub fn relative(root: &Path, arguments: &Value, key: &str) -> Result<PathBuf, (String, String)> {
    let raw = match arguments.get(key) {
        None | Some(Value::Null) => ".",
        Some(Value::String(s)) if s.trim().is_empty() => ".",
        Some(Value::String(s)) => s.as_str(),
        Some(_) => return Err(bad_args(&format!("{key} must be a string"))),
    };
    let path = Path::new(raw);
    let rel = if path.is_absolute() {
        path.strip_prefix(root).map_err(|_| {
            (
                "outside-root".to_string(),
                format!("{raw} is outside the project directory {}", root.display()),
            )
        })?
    } else {
        path
    };
    if rel.components().any(|c| c == Component::ParentDir) {
        return Err((
            "outside-root".into(),
            format!("{raw}: paths may not climb with .."),
        ));
    }
    Ok(if rel.as_os_str().is_empty() {
        PathBuf::from(".")
    } else {
        rel.to_path_buf()
    })
}

fn bad_args(why: &str) -> (String, String) {
    ("bad-arguments".into(), why.to_string())
}

/// Checks a call's arguments before anyone is asked: the shape, and that its path stays in
/// the root.
pub fn check(tool: &str, root: &Path, arguments: &Value) -> Result<(), (String, String)> {
    if !arguments.is_object() {
        return Err(bad_args("the arguments must be a JSON object"));
    }
    relative(root, arguments, "path")?;
    if tool == "search_text" {
        match arguments.get("text").and_then(Value::as_str) {
            Some(t) if !t.trim().is_empty() && t.len() <= 1024 => {}
            _ => return Err(bad_args("text must be 1 to 1024 bytes")),
        }
    }
    if tool == "read_file"
        && arguments
            .get("offset")
            .is_some_and(|o| !o.is_u64() && !o.is_null())
    {
        return Err(bad_args("offset must be a whole number of bytes"));
    }
    Ok(())
}

/// Opens `rel` beneath `root` (a directory when `dir`), never following a path out of it.
fn open_beneath(root: &File, rel: &Path, dir: bool) -> std::io::Result<File> {
    let mut flags = OFlags::RDONLY | OFlags::CLOEXEC | OFlags::NOCTTY | OFlags::NONBLOCK;
    if dir {
        flags |= OFlags::DIRECTORY;
    }
    let fd = rustix::fs::openat2(
        root,
        rel,
        flags,
        Mode::empty(),
        ResolveFlags::BENEATH | ResolveFlags::NO_MAGICLINKS,
    )?;
    Ok(File::from(fd))
}

fn open_root(root: &Path) -> std::io::Result<File> {
    File::open(root)
}

/// Says what went wrong opening `rel`, in words for the model.
fn open_error(rel: &Path, e: &std::io::Error) -> Output {
    use rustix::io::Errno;
    let why = match Errno::from_io_error(e) {
        Some(Errno::XDEV) => "leads outside the project directory".to_string(),
        Some(Errno::NOTDIR) => "is not a directory".to_string(),
        Some(Errno::NOENT) => "does not exist".to_string(),
        _ => e.to_string(),
    };
    Output::failed(format!("{}: {why}", rel.display()))
}

/// Whether the start of a file looks binary (a NUL byte, as git and grep judge).
fn looks_binary(head: &[u8]) -> bool {
    head.contains(&0)
}

/// Cuts `text` to at most `cap` bytes at a character boundary.
fn cut(text: &mut String, cap: usize) -> bool {
    if text.len() <= cap {
        return false;
    }
    let mut at = cap;
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    text.truncate(at);
    true
}

/// `read_file`: up to `cap` bytes of a text file from `offset`, with how to read on.
pub fn read_file(root: &Path, arguments: &Value, cap: usize) -> Output {
    let rel = match relative(root, arguments, "path") {
        Ok(r) => r,
        Err((_, why)) => return Output::failed(why),
    };
    let offset = arguments.get("offset").and_then(Value::as_u64).unwrap_or(0);
    let file = open_root(root).and_then(|r| open_beneath(&r, &rel, false));
    let mut file = match file {
        Ok(f) => f,
        Err(e) => return open_error(&rel, &e),
    };
    let size = match file.metadata() {
        Ok(m) if m.is_file() => m.len(),
        Ok(_) => return Output::failed(format!("{} is not a regular file", rel.display())),
        Err(e) => return open_error(&rel, &e),
    };
    let mut buf = Vec::with_capacity(cap.min(size as usize) + 4);
    let read = file
        .seek(SeekFrom::Start(offset))
        .and_then(|_| (&mut file).take(cap as u64 + 4).read_to_end(&mut buf));
    if let Err(e) = read {
        return open_error(&rel, &e);
    }
    if looks_binary(&buf[..buf.len().min(8192)]) {
        return Output::failed(format!(
            "{} is a binary file ({size} bytes); it is not shown",
            rel.display()
        ));
    }
    let mut text = String::from_utf8_lossy(&buf).into_owned();
    let truncated = cut(&mut text, cap);
    let end = offset + text.len() as u64;
    if end < size {
        text.push_str(&format!(
            "\n[{} of {size} bytes shown; read on with offset {end}]",
            end - offset.min(end)
        ));
    }
    Output {
        text,
        ok: true,
        truncated,
    }
}

/// The entries of an open directory, sorted by name, with their types (not following
/// symlinks).
fn entries(dir: &File) -> std::io::Result<Vec<(Vec<u8>, FileType, u64)>> {
    let mut out = Vec::new();
    for entry in Dir::read_from(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_bytes().to_vec();
        if name == b"." || name == b".." {
            continue;
        }
        let stat = rustix::fs::statat(dir, entry.file_name(), AtFlags::SYMLINK_NOFOLLOW);
        let (kind, size) = match stat {
            Ok(st) => (FileType::from_raw_mode(st.st_mode), st.st_size as u64),
            Err(_) => (entry.file_type(), 0),
        };
        out.push((name, kind, size));
    }
    out.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(out)
}

/// `list_dir`: names (directories with `/`, symlinks with `@`) and file sizes.
pub fn list_dir(root: &Path, arguments: &Value, cap: usize) -> Output {
    let rel = match relative(root, arguments, "path") {
        Ok(r) => r,
        Err((_, why)) => return Output::failed(why),
    };
    let dir = match open_root(root).and_then(|r| open_beneath(&r, &rel, true)) {
        Ok(d) => d,
        Err(e) => return open_error(&rel, &e),
    };
    let list = match entries(&dir) {
        Ok(l) => l,
        Err(e) => return open_error(&rel, &e),
    };
    let mut text = String::new();
    for (name, kind, size) in list.iter().take(LIST_MAX) {
        let name = String::from_utf8_lossy(name);
        match *kind {
            FileType::Directory => text.push_str(&format!("{name}/\n")),
            FileType::Symlink => text.push_str(&format!("{name}@\n")),
            FileType::RegularFile => text.push_str(&format!("{name}\t{size}\n")),
            _ => text.push_str(&format!("{name}\n")),
        }
    }
    if list.len() > LIST_MAX {
        text.push_str(&format!("[{} more entries]\n", list.len() - LIST_MAX));
    }
    if list.is_empty() {
        text.push_str("(empty)\n");
    }
    let truncated = cut(&mut text, cap);
    Output {
        text,
        ok: true,
        truncated,
    }
}

/// `search_text`: lines holding the text, as `path:line: text`, in the files under `path`
/// (hidden files and directories, symlinks, binary and large files are skipped).
pub fn search_text(root: &Path, arguments: &Value, cap: usize) -> Output {
    let rel = match relative(root, arguments, "path") {
        Ok(r) => r,
        Err((_, why)) => return Output::failed(why),
    };
    let Some(needle) = arguments.get("text").and_then(Value::as_str) else {
        return Output::failed("text is missing");
    };
    let fold = !needle.chars().any(char::is_uppercase);
    let needle = if fold {
        needle.to_lowercase()
    } else {
        needle.to_string()
    };
    let root_fd = match open_root(root) {
        Ok(r) => r,
        Err(e) => return open_error(&rel, &e),
    };
    let mut search = Search {
        root: &root_fd,
        needle: &needle,
        fold,
        files: 0,
        hits: Vec::new(),
    };
    let start = match rustix::fs::statat(&root_fd, &rel, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(st) => FileType::from_raw_mode(st.st_mode),
        Err(e) => return open_error(&rel, &e.into()),
    };
    match start {
        FileType::Directory => search.dir(&rel),
        FileType::RegularFile => search.file(&rel),
        _ => return Output::failed(format!("{} is not a file or directory", rel.display())),
    }
    let mut text = search.hits.join("\n");
    if search.hits.is_empty() {
        text = format!("no line holds {needle:?} ({} files searched)", search.files);
    } else if search.hits.len() >= SEARCH_HITS_MAX || search.files >= SEARCH_FILES_MAX {
        text.push_str("\n[stopped at the search's limits; search a narrower path]");
    }
    let truncated = cut(&mut text, cap);
    Output {
        text,
        ok: true,
        truncated,
    }
}

struct Search<'a> {
    root: &'a File,
    needle: &'a str,
    fold: bool,
    files: usize,
    hits: Vec<String>,
}

impl Search<'_> {
    fn full(&self) -> bool {
        self.hits.len() >= SEARCH_HITS_MAX || self.files >= SEARCH_FILES_MAX
    }

    fn dir(&mut self, rel: &Path) {
        let Ok(dir) = open_beneath(self.root, rel, true) else {
            return;
        };
        let Ok(list) = entries(&dir) else {
            return;
        };
        for (name, kind, size) in list {
            if self.full() {
                return;
            }
            if name.starts_with(b".") {
                continue;
            }
            let path = rel.join(OsStr::from_bytes(&name));
            match kind {
                FileType::Directory => self.dir(&path),
                FileType::RegularFile if size <= SEARCH_FILE_MAX => self.file(&path),
                _ => {}
            }
        }
    }

    fn file(&mut self, rel: &Path) {
        self.files += 1;
        let mut buf = Vec::new();
        let read = open_beneath(self.root, rel, false)
            .and_then(|f| f.take(SEARCH_FILE_MAX).read_to_end(&mut buf));
        if read.is_err() || looks_binary(&buf[..buf.len().min(8192)]) {
            return;
        }
        let text = String::from_utf8_lossy(&buf);
        let shown = rel.strip_prefix(".").unwrap_or(rel).display().to_string();
        for (n, line) in text.lines().enumerate() {
            let hit = if self.fold {
                line.to_lowercase().contains(self.needle)
            } else {
                line.contains(self.needle)
            };
            if hit {
                let line: String = line.trim().chars().take(LINE_CHARS_MAX).collect();
                self.hits.push(format!("{shown}:{}: {line}", n + 1));
                if self.full() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
#[path = "fs_tests.rs"]
mod tests;
