//! Aiwei Desk (爱卫来电来访管理系统): the single binary.

fn main() -> std::process::ExitCode {
    aiwei::cli::main()
}
