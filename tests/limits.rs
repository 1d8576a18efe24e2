//! The stated limits (`grammar/README.md`, "Limits") give clear errors, not a slow
//! death: params beyond [`MAX_PARAMS`], and a graph beyond what `newton` can hold.

use nabla::error::ErrorKind;
use nabla::program::{LoadOptions, MAX_PARAMS, Program};
use nabla::syntax::Sources;
use std::path::Path;

fn load(text: &str) -> Result<Program, nabla::error::Errors> {
    let mut sources = Sources::new();
    let id = sources.add("limits.nabla", text);
    Program::from_source(&mut sources, id, Path::new("."), &LoadOptions::default())
}

#[test]
fn too_many_params_is_an_error_at_the_first_one_too_many() {
    let params: Vec<String> = (0..=MAX_PARAMS).map(|i| format!("p{i} = 0")).collect();
    let text = format!("param {}\nloss = p0^2\n", params.join(", "));
    let errors = load(&text).err().unwrap_or_else(|| panic!("accepted"));
    let first = &errors.0[0];
    assert!(
        matches!(
            first.kind,
            ErrorKind::Limit {
                limit: MAX_PARAMS,
                ..
            }
        ),
        "{first}"
    );
    assert!(first.to_string().contains("params"), "{first}");
    let span = first.span.unwrap_or_else(|| panic!("no span"));
    assert!(
        text[span.start as usize..].starts_with(&format!("p{MAX_PARAMS}")),
        "{span:?}"
    );
}

#[test]
fn as_many_params_as_the_limit_load() {
    let params: Vec<String> = (0..MAX_PARAMS).map(|i| format!("p{i} = 0")).collect();
    let text = format!("param {}\nloss = p0^2\n", params.join(", "));
    assert!(load(&text).is_ok());
}
