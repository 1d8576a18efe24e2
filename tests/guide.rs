//! Every example of the language guide `grammar/README.md` works: each fenced
//! ` ```nabla ` block loads through `Program::from_source` without an error, and each
//! ` ```nabla,error ` block (deliberately wrong) is refused. CSV paths in the blocks are
//! relative to `grammar/`, as they would be for a file saved next to the guide.
//!
//! The guide's sample of error output (the `text` block after "`nabla run` prints") is
//! the rendering of the block before it, so it cannot go stale either.

use nabla::program::{LoadOptions, Program};
use nabla::syntax::Sources;
use std::path::{Path, PathBuf};

fn grammar_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("grammar")
}

/// A fenced block: its info string (`nabla`, `nabla,error`, `text`, ...), its text and
/// the line of the guide where it starts.
struct Block {
    info: String,
    text: String,
    line: usize,
}

fn blocks() -> Vec<Block> {
    let path = grammar_dir().join("README.md");
    let guide = std::fs::read_to_string(&path).expect("grammar/README.md");
    let mut blocks = Vec::new();
    let mut open: Option<Block> = None;
    for (index, line) in guide.lines().enumerate() {
        match (open.take(), line.strip_prefix("```")) {
            (None, Some(info)) => {
                open = Some(Block {
                    info: info.trim().to_string(),
                    text: String::new(),
                    line: index + 1,
                })
            }
            (Some(block), Some(_)) => blocks.push(block),
            (Some(mut block), None) => {
                block.text.push_str(line);
                block.text.push('\n');
                open = Some(block);
            }
            (None, None) => {}
        }
    }
    assert!(
        open.is_none(),
        "an unclosed code block in grammar/README.md"
    );
    blocks
}

fn load(block: &Block) -> (Sources, Result<Program, nabla::error::Errors>) {
    let mut sources = Sources::new();
    let id = sources.add("guide.nabla", block.text.as_str());
    let result = Program::from_source(&mut sources, id, &grammar_dir(), &LoadOptions::default());
    (sources, result)
}

#[test]
fn every_nabla_block_of_the_guide_loads() {
    let blocks = blocks();
    let good: Vec<&Block> = blocks.iter().filter(|b| b.info == "nabla").collect();
    assert!(good.len() >= 12, "only {} nabla blocks found", good.len());
    for block in good {
        let (sources, result) = load(block);
        if let Err(errors) = result {
            let shown = nabla::cli::render(&sources, &errors.0, ariadne::ReportKind::Error, false);
            panic!(
                "the block at grammar/README.md line {} does not load:\n{}\n{shown}",
                block.line, block.text
            );
        }
    }
}

#[test]
fn every_error_block_of_the_guide_is_refused() {
    let blocks = blocks();
    let bad: Vec<&Block> = blocks.iter().filter(|b| b.info == "nabla,error").collect();
    assert!(
        bad.len() >= 4,
        "only {} nabla,error blocks found",
        bad.len()
    );
    for block in bad {
        assert!(
            load(block).1.is_err(),
            "the block at grammar/README.md line {} should be refused:\n{}",
            block.line,
            block.text
        );
    }
}

#[test]
fn every_block_is_marked_with_its_language() {
    for block in blocks() {
        assert!(
            ["nabla", "nabla,error", "text", "sh"].contains(&block.info.as_str()),
            "the block at grammar/README.md line {} has info string {:?}",
            block.line,
            block.info
        );
    }
}

/// The sample output in the Errors section is what the block before it renders to.
#[test]
fn the_sample_error_output_is_current() {
    let blocks = blocks();
    let sample = blocks
        .iter()
        .position(|b| b.info == "text")
        .expect("a text block with the sample error output");
    let program = &blocks[sample - 1];
    assert_eq!(program.info, "nabla,error");
    let (sources, result) = load(program);
    let errors = result.expect_err("the sample program has errors");
    let shown = nabla::cli::render(&sources, &errors.0, ariadne::ReportKind::Error, false);
    let trimmed: Vec<&str> = shown.lines().map(str::trim_end).collect();
    let expected: Vec<&str> = blocks[sample].text.lines().map(str::trim_end).collect();
    assert_eq!(
        trimmed, expected,
        "update the sample in grammar/README.md to:\n{shown}"
    );
}
