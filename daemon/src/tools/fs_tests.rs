//! The read-only tools against a real directory: what they show, and that nothing outside
//! the root is reached, by path, `..`, absolute path or symlink.

use super::*;
use serde_json::json;

fn project() -> (tempfile::TempDir, PathBuf) {
    let top = tempfile::tempdir().unwrap();
    let root = top.path().join("proj");
    std::fs::create_dir_all(root.join("src/deep")).unwrap();
    std::fs::create_dir_all(root.join(".git")).unwrap();
    std::fs::write(root.join("README.md"), "Hello World\nsecond line\n").unwrap();
    std::fs::write(
        root.join("src/main.rs"),
        "fn main() {\n    println!(\"hello\");\n}\n",
    )
    .unwrap();
    std::fs::write(root.join("src/deep/x.txt"), "HELLO again\n").unwrap();
    std::fs::write(root.join(".git/config"), "hello from git\n").unwrap();
    std::fs::write(root.join("blob.bin"), b"hello\0\x01\x02").unwrap();
    std::fs::write(top.path().join("secret"), "hello secret\n").unwrap();
    std::os::unix::fs::symlink(top.path().join("secret"), root.join("leak")).unwrap();
    std::os::unix::fs::symlink(top.path(), root.join("up")).unwrap();
    let root = root.canonicalize().unwrap();
    (top, root)
}

#[test]
fn read_file_shows_text_pages_long_files_and_refuses_binaries() {
    let (_top, root) = project();
    let out = read_file(&root, &json!({"path": "README.md"}), 1024);
    assert_eq!(out.text, "Hello World\nsecond line\n");
    assert!(out.ok && !out.truncated);
    let out = read_file(&root, &json!({"path": "README.md"}), 5);
    assert!(out.truncated);
    assert!(
        out.text
            .starts_with("Hello\n[5 of 24 bytes shown; read on with offset 5]"),
        "{}",
        out.text
    );
    let out = read_file(&root, &json!({"path": "README.md", "offset": 6}), 1024);
    assert_eq!(out.text, "World\nsecond line\n");
    let abs = root.join("src/main.rs");
    let out = read_file(&root, &json!({"path": abs.to_str().unwrap()}), 1024);
    assert!(out.ok && out.text.contains("println"), "{}", out.text);
    let out = read_file(&root, &json!({"path": "blob.bin"}), 1024);
    assert!(!out.ok && out.text.contains("binary"), "{}", out.text);
    let out = read_file(&root, &json!({"path": "src"}), 1024);
    assert!(
        !out.ok && out.text.contains("not a regular file"),
        "{}",
        out.text
    );
    let out = read_file(&root, &json!({"path": "nope.txt"}), 1024);
    assert!(
        !out.ok && out.text.contains("does not exist"),
        "{}",
        out.text
    );
}

#[test]
fn nothing_outside_the_root_is_read_by_any_path() {
    let (top, root) = project();
    for path in ["leak", "up/secret", "../secret", "src/../../secret"] {
        let out = read_file(&root, &json!({ "path": path }), 1024);
        assert!(!out.ok, "{path}: {}", out.text);
        assert!(!out.text.contains("hello secret"), "{path}");
    }
    let outside = top.path().join("secret");
    let out = read_file(&root, &json!({"path": outside.to_str().unwrap()}), 1024);
    assert!(!out.ok && out.text.contains("outside"), "{}", out.text);
    assert!(check("read_file", &root, &json!({"path": "../secret"})).is_err());
    assert!(check("read_file", &root, &json!({"path": "a", "offset": "x"})).is_err());
    assert!(check("read_file", &root, &json!(["a"])).is_err());
    let out = list_dir(&root, &json!({"path": "up"}), 4096);
    assert!(!out.ok, "{}", out.text);
    let out = search_text(&root, &json!({"text": "secret"}), 4096);
    assert!(!out.text.contains("hello secret"), "{}", out.text);
}

#[test]
fn list_dir_marks_directories_and_links_and_sizes_files() {
    let (_top, root) = project();
    let out = list_dir(&root, &json!({}), 4096);
    assert!(out.ok);
    assert_eq!(
        out.text,
        ".git/\nREADME.md\t24\nblob.bin\t8\nleak@\nsrc/\nup@\n"
    );
    let out = list_dir(&root, &json!({"path": "README.md"}), 4096);
    assert!(
        !out.ok && out.text.contains("not a directory"),
        "{}",
        out.text
    );
}

#[test]
fn search_text_finds_lines_with_smart_case_skipping_hidden_and_binary_files() {
    let (_top, root) = project();
    let out = search_text(&root, &json!({"text": "hello"}), 4096);
    assert_eq!(
        out.text,
        "README.md:1: Hello World\nsrc/deep/x.txt:1: HELLO again\nsrc/main.rs:2: println!(\"hello\");"
    );
    let out = search_text(&root, &json!({"text": "Hello"}), 4096);
    assert_eq!(out.text, "README.md:1: Hello World");
    let out = search_text(&root, &json!({"text": "hello", "path": "src/deep"}), 4096);
    assert_eq!(out.text, "src/deep/x.txt:1: HELLO again");
    let out = search_text(&root, &json!({"text": "zebra"}), 4096);
    assert!(out.text.starts_with("no line holds"), "{}", out.text);
}
