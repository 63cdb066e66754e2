#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    custos::cli::run()
}
