//! The plots of a run: SVG structure, PNG size and text, the typed errors, the atomic
//! write, and inputs a run can produce (NaN, infinite, zero, huge) never panicking.

use std::fs;
use std::path::{Path, PathBuf};

use nabla::plot::{Landscape, LossCurve, PlotError, grid_around, write_plot};

/// A fresh, empty directory for one test.
fn scratch(test: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("plot")
        .join(test);
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();
    dir
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The one-neuron loss of the seed articles: two points, a logistic unit.
const NEURON_DATA: [(f64, f64); 2] = [(0.5, 0.2), (2.5, 0.9)];

fn neuron_loss(w: f64, b: f64) -> f64 {
    let squares = NEURON_DATA
        .iter()
        .map(|(x, y)| (sigmoid(w * x + b) - y).powi(2));
    0.5 * squares.sum::<f64>()
}

fn neuron_gradient(w: f64, b: f64) -> (f64, f64) {
    NEURON_DATA.iter().fold((0.0, 0.0), |(dw, db), (x, y)| {
        let s = sigmoid(w * x + b);
        let r = (s - y) * s * (1.0 - s);
        (dw + r * x, db + r)
    })
}

fn rosenbrock(x: f64, y: f64) -> f64 {
    (1.0 - x).powi(2) + 100.0 * (y - x * x).powi(2)
}

fn rosenbrock_gradient(x: f64, y: f64) -> (f64, f64) {
    let dy = 200.0 * (y - x * x);
    (-2.0 * (1.0 - x) - 2.0 * x * dy, dy)
}

/// Plain gradient descent, recording every `every`-th epoch (and the first).
fn descend(
    loss: fn(f64, f64) -> f64,
    gradient: fn(f64, f64) -> (f64, f64),
    start: (f64, f64),
    rate: f64,
    epochs: usize,
    every: usize,
) -> (LossCurve, Vec<(f64, f64)>) {
    let (mut curve, mut path) = (LossCurve::default(), Vec::new());
    let mut p = start;
    for epoch in 0..=epochs {
        if epoch % every == 0 {
            curve.epochs.push(epoch);
            curve.losses.push(loss(p.0, p.1));
            path.push(p);
        }
        let (gx, gy) = gradient(p.0, p.1);
        p = (p.0 - rate * gx, p.1 - rate * gy);
    }
    (curve, path)
}

fn landscape(names: [&str; 2], loss: fn(f64, f64) -> f64, path: Vec<(f64, f64)>) -> Landscape {
    let (xs, ys) = grid_around(&path, 101);
    let values = ys
        .iter()
        .flat_map(|y| xs.iter().map(|x| loss(*x, *y)))
        .collect();
    Landscape {
        names: names.map(String::from),
        xs,
        ys,
        loss: values,
        path,
    }
}

fn neuron_run() -> (LossCurve, Landscape) {
    let (curve, path) = descend(neuron_loss, neuron_gradient, (-2.0, -2.0), 1.0, 300, 1);
    (curve, landscape(["w", "b"], neuron_loss, path))
}

fn rosenbrock_run() -> (LossCurve, Landscape) {
    let (curve, path) = descend(
        rosenbrock,
        rosenbrock_gradient,
        (-1.5, 2.0),
        1e-3,
        20_000,
        100,
    );
    (curve, landscape(["x", "y"], rosenbrock, path))
}

/// The texts of an SVG document, after checking that it parses as XML.
fn svg_texts(svg: &str) -> Vec<String> {
    let document = roxmltree::Document::parse(svg).expect("the SVG is well-formed XML");
    assert_eq!(document.root_element().tag_name().name(), "svg");
    let texts = document.descendants().filter(|n| n.has_tag_name("text"));
    texts
        .map(|n| n.text().unwrap_or("").trim().to_string())
        .collect()
}

/// The loss curve's colour, the descent path's and the isolines' in the SVG.
const CURVE: &str = "#1F77B4";
const PATH: &str = "#D62728";
const ISOLINE: &str = "#3C3C3C";

/// The number of points of each `<polyline>` of stroke colour `stroke` in an SVG
/// document (the axes and ticks are black polylines too).
fn svg_polylines(svg: &str, stroke: &str) -> Vec<usize> {
    let document = roxmltree::Document::parse(svg).unwrap();
    let lines = document.descendants().filter(|n| {
        let stroked = n
            .attribute("stroke")
            .is_some_and(|s| s.eq_ignore_ascii_case(stroke));
        n.has_tag_name("polyline") && stroked
    });
    let points = |n: roxmltree::Node| {
        n.attribute("points")
            .unwrap_or("")
            .split_whitespace()
            .count()
    };
    lines.map(points).collect()
}

#[test]
fn svg_of_a_neuron_run_has_title_labels_curve_and_path() {
    let (curve, landscape) = neuron_run();
    let file = scratch("svg_neuron").join("run.svg");
    write_plot(&file, "neuron: gd, rate 1", &curve, Some(&landscape)).unwrap();
    let svg = fs::read_to_string(&file).unwrap();
    let texts = svg_texts(&svg);
    for expected in ["neuron: gd, rate 1", "epoch", "loss (log scale)", "w", "b"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "no text {expected:?} in {texts:?}"
        );
    }
    for expected in ["descent path", "start", "end"] {
        assert!(
            texts.iter().any(|t| t == expected),
            "no legend entry {expected:?}"
        );
    }
    // The loss curve and the descent path each have one point per recorded epoch.
    assert_eq!(svg_polylines(&svg, CURVE), [curve.epochs.len()]);
    // The path's second red polyline is its sample in the legend.
    assert_eq!(svg_polylines(&svg, PATH), [landscape.path.len(), 2]);
    // Isolines: many segments across one cell each.
    let isolines = svg_polylines(&svg, ISOLINE);
    assert!(isolines.len() > 100 && isolines.iter().all(|&n| n == 2));
}

#[test]
fn svg_without_landscape_has_only_the_curve() {
    let (curve, _) = neuron_run();
    let file = scratch("svg_curve").join("curve.SVG");
    write_plot(&file, r#"a < b & "c""#, &curve, None).unwrap();
    let svg = fs::read_to_string(&file).unwrap();
    let texts = svg_texts(&svg);
    assert!(
        texts.iter().any(|t| t == r#"a < b & "c""#),
        "the title is escaped"
    );
    assert!(texts.iter().any(|t| t == "loss (log scale)"));
    assert!(!texts.iter().any(|t| t == "descent path"));
    assert!(svg.contains(r#"width="700""#) && svg.contains(r#"height="500""#));
}

/// The curve-only SVG of `losses` at epochs `0, 1, ...`: the lengths of the curve's
/// polylines and the number of dots.
fn curve_pieces(test: &str, losses: Vec<f64>) -> (Vec<usize>, usize) {
    let file = scratch(test).join("curve.svg");
    let curve = LossCurve {
        epochs: (0..losses.len()).collect(),
        losses,
    };
    write_plot(&file, "t", &curve, None).unwrap();
    let svg = fs::read_to_string(&file).unwrap();
    (svg_polylines(&svg, CURVE), svg.matches("<circle").count())
}

#[test]
fn zero_losses_are_clamped_and_non_finite_losses_break_the_line() {
    // Zero and negative losses stay on the line (at the bottom of the axis).
    assert_eq!(
        curve_pieces("clamp", vec![1.0, 0.0, -1.0, 0.5]),
        (vec![4], 0)
    );
    // NaN and infinity split the line into runs; a run of one point is a dot.
    let losses = vec![1.0, f64::NAN, 0.5, 0.25, f64::INFINITY, 0.1];
    assert_eq!(curve_pieces("gaps", losses), (vec![2], 2));
}

/// Decodes a PNG file after checking its signature.
fn decode_png(file: &Path) -> image::RgbImage {
    let bytes = fs::read(file).unwrap();
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG signature"
    );
    image::load_from_memory_with_format(&bytes, image::ImageFormat::Png)
        .expect("the PNG decodes")
        .to_rgb8()
}

/// Dark pixels in the top strip, where the title is: text was rendered with the
/// embedded font.
fn title_ink(picture: &image::RgbImage) -> usize {
    let strip = picture.enumerate_pixels().filter(|(_, y, _)| *y < 30);
    strip
        .filter(|(_, _, p)| p.0.iter().all(|c| *c < 100))
        .count()
}

#[test]
fn png_has_the_expected_size_and_rendered_text() {
    let dir = scratch("png");
    let (curve, landscape) = rosenbrock_run();
    write_plot(
        &dir.join("both.png"),
        "Rosenbrock: gd, rate 1e-3",
        &curve,
        Some(&landscape),
    )
    .unwrap();
    write_plot(&dir.join("curve.png"), "Rosenbrock", &curve, None).unwrap();
    let both = decode_png(&dir.join("both.png"));
    assert_eq!(both.dimensions(), (1200, 500));
    assert!(title_ink(&both) > 200, "no title text in the PNG");
    let curve_only = decode_png(&dir.join("curve.png"));
    assert_eq!(curve_only.dimensions(), (700, 500));
    assert!(title_ink(&curve_only) > 100);
}

#[test]
fn png_of_the_neuron_run() {
    let (curve, landscape) = neuron_run();
    let file = scratch("png_neuron").join("neuron.png");
    write_plot(
        &file,
        "neuron: gd from (-2, -2), rate 1",
        &curve,
        Some(&landscape),
    )
    .unwrap();
    assert_eq!(decode_png(&file).dimensions(), (1200, 500));
}

#[test]
fn unsupported_extension_is_a_typed_error_and_writes_nothing() {
    let dir = scratch("extension");
    let curve = LossCurve {
        epochs: vec![0, 1],
        losses: vec![1.0, 0.5],
    };
    for name in ["plot.jpg", "plot", "plot.svg.txt"] {
        let error = write_plot(&dir.join(name), "t", &curve, None).unwrap_err();
        assert!(
            matches!(error, PlotError::UnsupportedExtension { .. }),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("--plot takes a .svg or .png"),
            "{error}"
        );
    }
    assert_eq!(fs::read_dir(&dir).unwrap().count(), 0);
}

fn file_names(dir: &Path) -> Vec<String> {
    let entries = fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name());
    let mut names: Vec<String> = entries.map(|n| n.to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn atomic_write_replaces_the_file_and_leaves_no_temp_file() {
    let dir = scratch("atomic");
    let curve = LossCurve {
        epochs: vec![0, 1, 2],
        losses: vec![1.0, 0.5, 0.25],
    };
    for name in ["a.svg", "b.png"] {
        let file = dir.join(name);
        fs::write(&file, "old contents").unwrap();
        write_plot(&file, "t", &curve, None).unwrap();
        assert_ne!(fs::read(&file).unwrap(), b"old contents");
    }
    assert_eq!(file_names(&dir), ["a.svg", "b.png"]);
}

#[test]
fn io_error_names_the_path_and_leaves_nothing() {
    let dir = scratch("io");
    let file = dir.join("missing").join("plot.svg");
    let curve = LossCurve {
        epochs: vec![0],
        losses: vec![1.0],
    };
    let error = write_plot(&file, "t", &curve, None).unwrap_err();
    assert!(
        matches!(&error, PlotError::Io { path, .. } if *path == file),
        "{error:?}"
    );
    assert!(error.to_string().contains("plot.svg"), "{error}");
    assert_eq!(file_names(&dir), Vec::<String>::new());
}

#[test]
fn malformed_grids_are_typed_errors() {
    let dir = scratch("grid");
    let curve = LossCurve::default();
    let good = Landscape {
        names: ["a".into(), "b".into()],
        xs: vec![0.0, 1.0],
        ys: vec![0.0, 1.0, 2.0],
        loss: vec![1.0; 6],
        path: vec![],
    };
    let short = Landscape {
        loss: vec![1.0; 5],
        ..good.clone()
    };
    let error = write_plot(&dir.join("p.svg"), "t", &curve, Some(&short)).unwrap_err();
    assert!(
        matches!(
            error,
            PlotError::GridShape {
                nx: 2,
                ny: 3,
                found: 5
            }
        ),
        "{error:?}"
    );
    for xs in [vec![0.0], vec![1.0, 0.0], vec![0.0, f64::NAN]] {
        let bad = Landscape {
            xs,
            loss: vec![1.0; 3],
            ys: vec![0.0, 1.0, 2.0],
            ..good.clone()
        };
        let error = write_plot(&dir.join("p.svg"), "t", &curve, Some(&bad)).unwrap_err();
        assert!(matches!(error, PlotError::BadGrid), "{error:?}");
    }
    write_plot(&dir.join("p.svg"), "t", &curve, Some(&good)).unwrap();
}

/// Curves a run can produce, one per awkward case.
fn awkward_curves() -> Vec<LossCurve> {
    let losses = vec![
        f64::NAN,
        f64::INFINITY,
        0.0,
        -1.0,
        1e-320,
        1e308,
        f64::MAX,
        2.0,
    ];
    vec![
        LossCurve::default(),
        LossCurve {
            epochs: vec![7],
            losses: vec![0.5],
        },
        LossCurve {
            epochs: vec![0, 1, 2],
            losses: vec![0.0, 0.0, 0.0],
        },
        LossCurve {
            epochs: vec![0, 1],
            losses: vec![f64::NAN, f64::NEG_INFINITY],
        },
        LossCurve {
            epochs: (0..losses.len()).collect(),
            losses,
        },
        LossCurve {
            epochs: vec![usize::MAX, 0],
            losses: vec![3.0, 3.0],
        },
    ]
}

/// Landscapes with undefined, zero and huge values and degenerate paths.
fn awkward_landscapes() -> Vec<Landscape> {
    let (xs, ys) = grid_around(&[(1.0, 1.0)], 4);
    let values = [f64::NAN, f64::INFINITY, 0.0, -3.0, 1e-300, 1e300, 1.0, 2.0];
    let with = |loss: Vec<f64>, path: Vec<(f64, f64)>| Landscape {
        names: ["p".into(), "q".into()],
        xs: xs.clone(),
        ys: ys.clone(),
        loss,
        path,
    };
    let mixed = (0..16).map(|k| values[k % values.len()]).collect();
    let (big_xs, big_ys) = grid_around(&[(-1e300, 1e300), (1e300, -1e300)], 5);
    vec![
        with(mixed, vec![(1.0, 1.0); 5]),
        with(vec![f64::NAN; 16], vec![]),
        with(vec![0.0; 16], vec![(f64::NAN, 0.0), (1.0, f64::INFINITY)]),
        with(vec![4.0; 16], vec![(1e300, -1e300), (1.0, 1.0)]),
        Landscape {
            xs: big_xs,
            ys: big_ys,
            loss: vec![1.0; 25],
            ..with(vec![], vec![])
        },
    ]
}

#[test]
fn awkward_values_do_not_panic() {
    let dir = scratch("awkward");
    for (k, curve) in awkward_curves().iter().enumerate() {
        for extension in ["svg", "png"] {
            let file = dir.join(format!("curve{k}.{extension}"));
            write_plot(&file, "awkward", curve, None).unwrap();
        }
    }
    let curve = &awkward_curves()[4];
    for (k, landscape) in awkward_landscapes().iter().enumerate() {
        for extension in ["svg", "png"] {
            let file = dir.join(format!("landscape{k}.{extension}"));
            write_plot(&file, "awkward", curve, Some(landscape)).unwrap();
        }
    }
}

#[test]
fn grid_around_frames_the_path() {
    let path = [(-2.0, -2.0), (0.5, 1.0), (1.0, 3.0)];
    let (xs, ys) = grid_around(&path, 11);
    assert_eq!((xs.len(), ys.len()), (11, 11));
    assert!(xs[0] < -2.0 && xs[10] > 1.0 && ys[0] < -2.0 && ys[10] > 3.0);
    assert!(xs.windows(2).all(|w| w[0] < w[1]) && ys.windows(2).all(|w| w[0] < w[1]));
    // A margin of 15% on each side of the path's box.
    assert!((xs[0] - (-2.0 - 0.45)).abs() < 1e-12 && (ys[10] - (3.0 + 0.75)).abs() < 1e-12);

    let (xs, ys) = grid_around(&[(5.0, 5.0), (5.0, 5.0)], 0);
    assert_eq!(xs.len(), 2);
    assert!(xs[0] < 5.0 && xs[1] > 5.0 && ys[0] < 5.0 && ys[1] > 5.0);
    let (xs, _) = grid_around(&[], 3);
    assert!(xs[0] < 0.0 && xs[2] > 0.0);
}
