//! `chinwag`: everything lives in the library.

fn main() -> std::process::ExitCode {
    chinwag::main()
}
