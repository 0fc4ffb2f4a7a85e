//! Reading whole numbers (`Model::read_number`, `digitnet predict --number`):
//! seeded photos of MNIST test digits laid out as numbers, and the pictures that
//! hold no number (blank, a ruled page, a page of text, too many marks, touching
//! digits).

mod common;

use std::path::Path;
use std::sync::OnceLock;

use common::{digitnet, scratch, stderr, stdout};
use digitnet::data::{Dataset, mnist};
use digitnet::number::NumberReading;
use digitnet::preprocess::{self, Gray};
use digitnet::synth::{self, Frame, Photo};
use digitnet::{Model, plot};
use plotters::prelude::*;
use plotters::style::{FontFamily, FontStyle};
use rand::rngs::Xoshiro256PlusPlus;
use rand::{RngExt, SeedableRng};

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| Model::builtin_mnist().unwrap())
}

fn test_digits() -> &'static Dataset {
    static TEST: OnceLock<Dataset> = OnceLock::new();
    TEST.get_or_init(|| mnist::test().unwrap())
}

/// A seeded photo of a number made of `len` random MNIST test digits.
fn number_photo(len: usize, rng: &mut Xoshiro256PlusPlus) -> Photo {
    let d = test_digits();
    let chosen: Vec<(&[f32], u8)> = (0..len)
        .map(|_| rng.random_range(0..d.len()))
        .map(|i| (d.image(i), d.labels[i]))
        .collect();
    synth::number(&chosen, Frame::DEFAULT, rng)
}

fn truth(photo: &Photo) -> String {
    photo.digits.iter().map(|d| d.label.to_string()).collect()
}

fn read(image: &Gray) -> NumberReading {
    model().read_number(image, 0.6).expect("not refused")
}

/// A white page `w x h` drawn on with `draw`, as a grey picture.
fn page(
    w: u32,
    h: u32,
    draw: impl FnOnce(&DrawingArea<BitMapBackend, plotters::coord::Shift>),
) -> Gray {
    plot::register_font();
    let mut rgb = vec![255u8; 3 * (w * h) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw(&root);
        root.present().unwrap();
    }
    Gray::new(
        w as usize,
        h as usize,
        rgb.chunks_exact(3)
            .map(|p| f32::from(p[0]) / 255.0)
            .collect(),
    )
}

/// MNIST test digits `rows` drawn 5x larger, black on white, their 28x28 frames
/// `step` pixels apart (less than 140 makes them overlap).
fn mnist_row(rows: &[usize], step: usize) -> Gray {
    let (scale, margin) = (5, 60);
    let width = 2 * margin + step * (rows.len() - 1) + 28 * scale;
    let height = 2 * margin + 28 * scale;
    let mut ink = vec![0.0f32; width * height];
    for (k, &row) in rows.iter().enumerate() {
        let image = test_digits().image(row);
        for y in 0..28 * scale {
            for x in 0..28 * scale {
                let v = image[(y / scale) * 28 + x / scale] / 255.0;
                let i = (margin + y) * width + margin + k * step + x;
                ink[i] = ink[i].max(v);
            }
        }
    }
    Gray::new(width, height, ink.iter().map(|v| 1.0 - v).collect())
}

/// The first test rows holding `digit`.
fn rows_of(digit: u8, n: usize) -> Vec<usize> {
    let d = test_digits();
    (0..d.len())
        .filter(|&i| d.labels[i] == digit)
        .take(n)
        .collect()
}

#[test]
fn most_photos_of_numbers_are_read_whole() {
    // 20 seeded photos of 2 to 6 digits; photo_bench measures 200 (see README).
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2026);
    let mut right = 0;
    let mut wrong = Vec::new();
    for _ in 0..20 {
        let len = rng.random_range(2..=6);
        let photo = number_photo(len, &mut rng);
        let gray = preprocess::decode(&photo.jpeg, "photo").unwrap();
        let reading = read(&gray);
        if reading.number.as_deref() == Some(truth(&photo).as_str()) {
            right += 1;
            for (d, placed) in reading.digits.iter().zip(&photo.digits) {
                let (x, y, w, h) = placed.bbox;
                let [bx, by, bw, bh] = d.rect;
                // The box found holds the centre of the digit's true box.
                assert!(
                    (bx..bx + bw).contains(&(x + w / 2)),
                    "{:?} {:?}",
                    d.rect,
                    placed
                );
                assert!(
                    (by..by + bh).contains(&(y + h / 2)),
                    "{:?} {:?}",
                    d.rect,
                    placed
                );
            }
        } else {
            wrong.push(format!("{} read as {:?}", truth(&photo), reading.number));
        }
    }
    assert!(right >= 15, "{right}/20 right; misread: {wrong:?}");
}

#[test]
fn digits_in_several_pieces_and_gaps_are_read_left_to_right() {
    // Clean MNIST digits far apart: each is one group, read in order.
    let rows: Vec<usize> = [2u8, 0, 2, 6].iter().map(|&d| rows_of(d, 1)[0]).collect();
    let reading = read(&mnist_row(&rows, 160));
    assert_eq!(
        reading.number.as_deref(),
        Some("2026"),
        "{:?}",
        reading.reason
    );
    assert!(!reading.uncertain, "{:?}", reading.reason);
    let xs: Vec<usize> = reading.digits.iter().map(|d| d.rect[0]).collect();
    assert!(xs.windows(2).all(|w| w[0] < w[1]), "{xs:?}");
    // A 7 broken in two by a white gap across its stem is still one digit.
    let seven = rows_of(7, 1)[0];
    let mut broken = mnist_row(&[seven, rows_of(1, 1)[0]], 160);
    let (mid, width) = (60 + 17 * 5, broken.width());
    broken.pixels_mut()[mid * width..(mid + 8) * width].fill(1.0);
    let reading = read(&broken);
    assert_eq!(reading.digits.len(), 2, "{:?}", reading.number);
}

#[test]
fn a_blank_photo_has_no_number_and_says_why() {
    let blank = Gray::new(300, 200, vec![0.8; 60_000]);
    let reading = read(&blank);
    assert_eq!((reading.number.as_deref(), reading.uncertain), (None, true));
    assert!(reading.reason.unwrap().contains("blank"));
}

#[test]
fn a_ruled_page_has_no_number_and_says_why() {
    let ruled = page(900, 600, |root| {
        for k in 1..8 {
            let y = 70 * k;
            root.draw(&Rectangle::new(
                [(20, y), (880, y + 2)],
                RGBColor(90, 120, 200).filled(),
            ))
            .unwrap();
        }
    });
    let reading = read(&ruled);
    assert_eq!(reading.number, None, "{:?}", reading.number);
    let reason = reading.reason.unwrap();
    assert!(reason.contains("long straight lines"), "{reason}");
}

#[test]
fn a_page_of_text_has_no_number_and_says_why() {
    let text = page(900, 500, |root| {
        let style =
            FontDesc::new(FontFamily::Name("sans-serif"), 44.0, FontStyle::Normal).color(&BLACK);
        for (k, line) in [
            "The quick brown fox",
            "jumps over the lazy",
            "dog, twice a day.",
        ]
        .iter()
        .enumerate()
        {
            root.draw(&Text::new(*line, (40, 60 + 120 * k as i32), style.clone()))
                .unwrap();
        }
    });
    let reading = model().read_number(&text, 0.6);
    let reason = match reading {
        Ok(r) => {
            assert_eq!(r.number, None, "text read as a number");
            r.reason.unwrap()
        }
        Err(too_many) => too_many.to_string(),
    };
    assert!(reason.contains("1 to 8"), "{reason}");
}

#[test]
fn more_than_eight_digits_are_refused_with_what_a_number_is() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
    let photo = number_photo(11, &mut rng);
    let gray = preprocess::decode(&photo.jpeg, "photo").unwrap();
    let refused = model().read_number(&gray, 0.6).unwrap_err();
    assert!(refused.count > 8, "{refused}");
    // The CLI names the file and what --number reads; the other files are read.
    let dir = scratch("number-too-many");
    let many = dir.join("eleven.jpg");
    std::fs::write(&many, &photo.jpeg).unwrap();
    let out = digitnet(&["predict", "--number", many.to_str().unwrap(), FIXTURE]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains("eleven.jpg") && err.contains("--number reads one row of 1 to 8"),
        "{err}"
    );
    assert!(
        stdout(&out).contains("mnist-t10k-0-black-on-white.png: 7"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn touching_digits_are_uncertain_not_a_confident_wrong_number() {
    // Pairs of zeros, sixes and eights drawn into each other: one piece of ink
    // wider than a digit.
    for digit in [0u8, 6, 8] {
        let rows = rows_of(digit, 2);
        let reading = read(&mnist_row(&rows, 65));
        let right = Some(format!("{digit}{digit}"));
        assert!(
            reading.uncertain || reading.number == right,
            "{digit}{digit} read as a sure {:?}",
            reading.number
        );
        assert!(
            reading.uncertain,
            "{:?} {:?}",
            reading.number, reading.reason
        );
    }
}

const FIXTURE: &str = "tests/fixtures/mnist-t10k-0-black-on-white.png";

#[test]
fn the_cli_answers_text_json_and_a_picture() {
    let dir = scratch("number-cli");
    let rows: Vec<usize> = [4u8, 0, 7].iter().map(|&d| rows_of(d, 1)[0]).collect();
    let gray = mnist_row(&rows, 160);
    let file = dir.join("407.png");
    let bytes: Vec<u8> = gray
        .pixels()
        .iter()
        .map(|v| (v * 255.0).round() as u8)
        .collect();
    image::GrayImage::from_raw(gray.width() as u32, gray.height() as u32, bytes)
        .unwrap()
        .save(&file)
        .unwrap();
    let path = file.to_str().unwrap();
    let out = digitnet(&["predict", "--number", path, "--show"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with(&format!("{path}: 407\n")), "{text}");
    assert!(
        text.contains("\n  4  ") && text.contains("%  box x "),
        "{text}"
    );
    assert!(
        text.contains("@@"),
        "--show prints the prepared digits: {text}"
    );

    let out = digitnet(&["predict", "--number", "--json", path]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    let answer = &json["predictions"][0];
    assert_eq!(answer["number"], "407");
    assert_eq!(answer["uncertain"], false);
    assert_eq!(answer["digits"].as_array().unwrap().len(), 3);
    assert_eq!(answer["digits"][1]["digit"], 0);
    assert_eq!(
        answer["digits"][1]["probabilities"]
            .as_array()
            .unwrap()
            .len(),
        10
    );
    assert_eq!(answer["digits"][1]["box"].as_array().unwrap().len(), 4);

    // --min-confidence 1 makes every digit doubtful.
    let out = digitnet(&[
        "predict",
        "--number",
        "--json",
        "--min-confidence",
        "1",
        path,
    ]);
    let json: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(json["predictions"][0]["uncertain"], true);

    let drawn = dir.join("read.png");
    let out = digitnet(&[
        "predict",
        "--number",
        path,
        "--out",
        drawn.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", stderr(&out));
    let picture = image::open(&drawn).unwrap();
    assert_eq!(picture.width() as usize, gray.width().clamp(480, 1000));
    assert!(!Path::new(&dir.join("read.png.tmp")).exists());

    let out = digitnet(&[
        "predict",
        "--number",
        path,
        path,
        "--out",
        drawn.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("--out draws one picture"));
    // --out draws a number: without --number it is a usage error.
    let out = digitnet(&["predict", path, "--out", drawn.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}
