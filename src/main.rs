//! The `nabla` binary: the command line of the `nabla` library.

fn main() {
    // Deeply nested input is refused by the parser's depth limit; the large stack is a
    // margin for the debug build's bigger frames.
    let code = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(nabla::cli::main)
        .map(|handle| handle.join().unwrap_or(101))
        .unwrap_or_else(|_| nabla::cli::main());
    std::process::exit(code);
}
