//! The IDX format of MNIST and its family (Fashion-MNIST, KMNIST, EMNIST), raw or gzip.
//!
//! An IDX file is a big-endian header followed by the data: the magic number
//! `0x0000_08DD` (`08` = unsigned bytes, `DD` = number of dimensions), one `u32` per
//! dimension, then the values. Labels are 1-dimensional (`0x0000_0801`), images
//! 3-dimensional (`0x0000_0803`, count x rows x columns).
//!
//! Every size a header claims is checked against what the file can hold *before*
//! anything is allocated: for a raw file against its exact length, for a gzip file
//! against the most that deflate can expand its compressed bytes to, and always
//! against [`super::MAX_DATA_BYTES`] of `f32`. A lying header is a clear error, not a
//! huge allocation. A pair's image and label counts are compared from their headers,
//! before either body is read.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use flate2::read::MultiGzDecoder;

use super::Dataset;
use crate::error::{Error, Result, shown_path};

/// Magic number of a label file: unsigned bytes, one dimension.
pub const LABELS_MAGIC: u32 = 0x0000_0801;
/// Magic number of an image file: unsigned bytes, three dimensions.
pub const IMAGES_MAGIC: u32 = 0x0000_0803;
/// The most values (pixels or labels) one file may hold: as many as
/// [`super::MAX_DATA_BYTES`] holds as `f32` (pixels become `f32`).
pub const MAX_VALUES: u64 = super::MAX_DATA_BYTES / 4;
/// Deflate never expands better than about 1032:1; a gzip file claiming more
/// content than this many times its size is lying.
const MAX_DEFLATE_RATIO: u64 = 1032;
/// The two bytes every gzip member starts with.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
/// Bytes converted to `f32` per read.
const CHUNK: usize = 1 << 16;

/// Images read from an IDX file, pixels as `f32` in 0..255.
#[derive(Clone, Debug, PartialEq)]
pub struct Images {
    pub count: usize,
    pub height: usize,
    pub width: usize,
    /// `count x height*width`, row-major.
    pub pixels: Vec<f32>,
}

/// Reads an image file (raw or gzip) from disk.
pub fn read_images(path: &Path) -> Result<Images> {
    let (reader, len) = open(path)?;
    images_from(reader, len, &shown_path(path))
}

/// Reads a label file (raw or gzip) from disk.
pub fn read_labels(path: &Path) -> Result<Vec<u8>> {
    let (reader, len) = open(path)?;
    labels_from(reader, len, &shown_path(path))
}

/// Reads an images/labels pair into a [`Dataset`] of pixel scale 0..255 named `name`,
/// with `classes` classes (or one more than the largest label when `None`).
pub fn load_pair(
    images: &Path,
    labels: &Path,
    name: &str,
    classes: Option<usize>,
) -> Result<Dataset> {
    let labels_origin = shown_path(labels);
    let images_origin = shown_path(images);
    let (labels_file, labels_len) = open(labels)?;
    let (images_file, images_len) = open(images)?;
    pair_from(
        (images_file, images_len, &images_origin),
        (labels_file, labels_len, &labels_origin),
        name,
        classes,
    )
}

/// [`load_pair`] from readers: each file's bytes (raw or gzip), its stored size and
/// its name in messages.
pub fn pair_from(
    (images, images_len, images_origin): (impl Read, u64, &str),
    (labels, labels_len, labels_origin): (impl Read, u64, &str),
    name: &str,
    classes: Option<usize>,
) -> Result<Dataset> {
    let mut labels_in = Input::new(labels, labels_len, labels_origin)?;
    let mut images_in = Input::new(images, images_len, images_origin)?;
    let label_dims = labels_in.header(LABELS_MAGIC, "labels")?;
    let image_dims = images_in.header(IMAGES_MAGIC, "images")?;
    // Compared before either body is inflated: a gzip bomb of images is refused at once.
    if label_dims[0] != image_dims[0] {
        return Err(count_mismatch(labels_origin, label_dims[0], image_dims[0]));
    }
    let label_values = labels_body(&mut labels_in, &label_dims)?;
    let images = images_body(&mut images_in, &image_dims)?;
    pair(images, label_values, name, labels_origin, classes)
}

fn count_mismatch(labels_origin: &str, labels: u64, images: u64) -> Error {
    Error::data(
        labels_origin,
        format!(
            "holds {labels} labels but its image file holds {images} images; they should be \
             a matching pair"
        ),
    )
}

/// Joins decoded images and labels into a [`Dataset`], checking counts and labels.
pub fn pair(
    images: Images,
    labels: Vec<u8>,
    name: &str,
    labels_origin: &str,
    classes: Option<usize>,
) -> Result<Dataset> {
    if images.count != labels.len() {
        return Err(count_mismatch(
            labels_origin,
            labels.len() as u64,
            images.count as u64,
        ));
    }
    let classes = super::check_labels(&labels, classes, |i| {
        format!("{labels_origin}, item {}", i + 1)
    })?;
    Dataset::new(
        name,
        images.pixels,
        labels,
        (images.height, images.width),
        255.0,
        classes,
    )
}

/// Decodes an image file from `reader`, whose stored (possibly compressed) size is
/// `stored_len` bytes; `origin` names it in errors.
pub fn images_from(reader: impl Read, stored_len: u64, origin: &str) -> Result<Images> {
    let mut input = Input::new(reader, stored_len, origin)?;
    let dims = input.header(IMAGES_MAGIC, "images")?;
    images_body(&mut input, &dims)
}

/// Reads the pixels that follow an image file's header `dims`.
fn images_body(input: &mut Input<'_>, dims: &[u64]) -> Result<Images> {
    let (count, height, width) = (dims[0], dims[1], dims[2]);
    if height == 0 || width == 0 {
        return Err(Error::data(
            input.origin,
            format!("images of {height}x{width} pixels have no pixel"),
        ));
    }
    let values = input.check_claim(&[count, height, width])?;
    let mut pixels = Vec::with_capacity(values);
    input.read_values(values, |bytes| {
        pixels.extend(bytes.iter().map(|&b| f32::from(b)));
    })?;
    Ok(Images {
        count: count as usize,
        height: height as usize,
        width: width as usize,
        pixels,
    })
}

/// Decodes a label file from `reader` (see [`images_from`]).
pub fn labels_from(reader: impl Read, stored_len: u64, origin: &str) -> Result<Vec<u8>> {
    let mut input = Input::new(reader, stored_len, origin)?;
    let dims = input.header(LABELS_MAGIC, "labels")?;
    labels_body(&mut input, &dims)
}

/// Reads the labels that follow a label file's header `dims`.
fn labels_body(input: &mut Input<'_>, dims: &[u64]) -> Result<Vec<u8>> {
    let values = input.check_claim(dims)?;
    let mut labels = Vec::with_capacity(values);
    input.read_values(values, |bytes| labels.extend_from_slice(bytes))?;
    Ok(labels)
}

/// Opens `path` and returns a reader over its bytes with the file's size.
fn open(path: &Path) -> Result<(File, u64)> {
    let file = File::open(path).map_err(|e| Error::io(path, e))?;
    let len = file.metadata().map_err(|e| Error::io(path, e))?.len();
    Ok((file, len))
}

/// An IDX stream: raw or gunzipped bytes, with what is known of its size.
struct Input<'a> {
    reader: Box<dyn Read + 'a>,
    /// The stored size in bytes.
    stored_len: u64,
    gzip: bool,
    origin: &'a str,
}

impl<'a> Input<'a> {
    /// Detects gzip by its magic bytes and wraps `reader` accordingly.
    fn new(reader: impl Read + 'a, stored_len: u64, origin: &'a str) -> Result<Self> {
        let mut reader = BufReader::new(reader);
        let mut first = [0u8; 2];
        let got = read_full(&mut reader, &mut first)
            .map_err(|e| Error::data(origin, format!("cannot be read: {e}")))?;
        let gzip = got == 2 && first == GZIP_MAGIC;
        let head = std::io::Cursor::new(first).take(got as u64);
        let joined = head.chain(reader);
        let reader: Box<dyn Read + 'a> = if gzip {
            Box::new(MultiGzDecoder::new(joined))
        } else {
            Box::new(joined)
        };
        Ok(Input {
            reader,
            stored_len,
            gzip,
            origin,
        })
    }

    /// Reads the magic number and the dimensions, checking the magic is `magic`.
    fn header(&mut self, magic: u32, what: &str) -> Result<Vec<u64>> {
        let mut word = [0u8; 4];
        self.exact(&mut word, "the 4-byte magic number")?;
        let found = u32::from_be_bytes(word);
        if found != magic {
            return Err(Error::data(
                self.origin,
                format!(
                    "magic number 0x{found:08x} is not that of an IDX {what} file \
                        (0x{magic:08x}: unsigned bytes, {} dimension{})",
                    magic & 0xff,
                    if magic & 0xff == 1 { "" } else { "s" }
                ),
            ));
        }
        let mut dims = Vec::new();
        for d in 0..(magic & 0xff) {
            self.exact(&mut word, &format!("dimension {}", d + 1))?;
            dims.push(u64::from(u32::from_be_bytes(word)));
        }
        Ok(dims)
    }

    /// Checks that the values `dims` claim fit what the file can hold; returns their count.
    fn check_claim(&self, dims: &[u64]) -> Result<usize> {
        let shape: Vec<String> = dims.iter().map(u64::to_string).collect();
        let values = dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        let values = values.filter(|&v| v <= MAX_VALUES).ok_or_else(|| {
            Error::data(
                self.origin,
                format!(
                    "header claims {} values, more than the {MAX_VALUES} allowed ({} GiB as f32)",
                    shape.join(" x "),
                    super::MAX_DATA_BYTES >> 30
                ),
            )
        })?;
        let header = 4 + 4 * dims.len() as u64;
        let holds = if self.gzip {
            self.stored_len.saturating_mul(MAX_DEFLATE_RATIO)
        } else {
            self.stored_len.saturating_sub(header)
        };
        if values > holds {
            let how = if self.gzip {
                format!(
                    "its {} compressed bytes cannot hold more than {holds}",
                    self.stored_len
                )
            } else {
                format!("the file holds only {holds} bytes after the header")
            };
            return Err(Error::data(
                self.origin,
                format!(
                    "header claims {} = {values} bytes of data but {how}: the file is truncated \
                        or not IDX",
                    shape.join(" x ")
                ),
            ));
        }
        Ok(values as usize)
    }

    /// Reads exactly `values` bytes, handing them to `sink` chunk by chunk, then
    /// checks that nothing follows them.
    fn read_values(&mut self, values: usize, mut sink: impl FnMut(&[u8])) -> Result<()> {
        let mut buf = vec![0u8; CHUNK.min(values.max(1))];
        let mut left = values;
        while left > 0 {
            let n = buf.len().min(left);
            let got = read_full(&mut self.reader, &mut buf[..n]).map_err(|e| self.broken(e))?;
            if got < n {
                return Err(Error::data(
                    self.origin,
                    format!(
                        "truncated: the header claims {values} bytes of data, the file ends \
                            after {}",
                        values - left + got
                    ),
                ));
            }
            sink(&buf[..n]);
            left -= n;
        }
        let got = read_full(&mut self.reader, &mut buf[..1]).map_err(|e| self.broken(e))?;
        if got != 0 {
            return Err(Error::data(
                self.origin,
                format!("holds more data than the {values} bytes its header claims"),
            ));
        }
        Ok(())
    }

    /// Fills `buf` or says which part of the header is missing.
    fn exact(&mut self, buf: &mut [u8], what: &str) -> Result<()> {
        let got = read_full(&mut self.reader, buf).map_err(|e| self.broken(e))?;
        if got < buf.len() {
            return Err(Error::data(
                self.origin,
                format!("truncated: the file ends before {what} of the IDX header"),
            ));
        }
        Ok(())
    }

    fn broken(&self, e: std::io::Error) -> Error {
        let what = if self.gzip { "gzip data" } else { "file" };
        Error::data(self.origin, format!("{what} cannot be read: {e}"))
    }
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_full(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match reader.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    /// An IDX image file of `count` images `h x w`, pixel `i` of image `n` = `n + i`.
    pub(crate) fn images_bytes(count: u32, h: u32, w: u32) -> Vec<u8> {
        let mut b = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [count, h, w] {
            b.extend(d.to_be_bytes());
        }
        for n in 0..count * h * w {
            b.push((n / (h * w) + n % (h * w)) as u8);
        }
        b
    }

    /// An IDX label file holding `labels`.
    pub(crate) fn labels_bytes(labels: &[u8]) -> Vec<u8> {
        let mut b = LABELS_MAGIC.to_be_bytes().to_vec();
        b.extend((labels.len() as u32).to_be_bytes());
        b.extend_from_slice(labels);
        b
    }

    pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn images(bytes: &[u8]) -> Result<Images> {
        images_from(bytes, bytes.len() as u64, "x-images")
    }

    fn labels(bytes: &[u8]) -> Result<Vec<u8>> {
        labels_from(bytes, bytes.len() as u64, "x-labels")
    }

    #[test]
    fn raw_and_gzip_decode_alike() {
        let raw = images_bytes(3, 2, 2);
        let a = images(&raw).unwrap();
        assert_eq!((a.count, a.height, a.width), (3, 2, 2));
        assert_eq!(&a.pixels[4..8], [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(images(&gz(&raw)).unwrap(), a);
        assert_eq!(labels(&gz(&labels_bytes(&[7, 1]))).unwrap(), [7, 1]);
    }

    #[test]
    fn a_wrong_magic_number_is_named() {
        let err = images(&labels_bytes(&[1, 2])).unwrap_err().to_string();
        assert!(
            err.starts_with("x-images: magic number 0x00000801") && err.contains("0x00000803"),
            "{err}"
        );
        let err = labels(b"PK\x03\x04rest").unwrap_err().to_string();
        assert!(err.contains("magic number 0x504b0304"), "{err}");
    }

    #[test]
    fn a_truncated_file_is_refused() {
        let raw = images_bytes(3, 2, 2);
        let err = images(&raw[..raw.len() - 1]).unwrap_err().to_string();
        assert!(err.contains("truncated"), "{err}");
        let short = gz(&raw[..raw.len() - 5]);
        let err = images(&short).unwrap_err().to_string();
        assert!(
            err.contains("truncated") && err.contains("ends after 7"),
            "{err}"
        );
        let err = labels(&[0, 0, 8]).unwrap_err().to_string();
        assert!(err.contains("ends before the 4-byte magic"), "{err}");
        let cut_gzip = &gz(&raw)[..10];
        assert!(images(cut_gzip).is_err());
    }

    #[test]
    fn a_header_claiming_more_than_the_file_holds_is_refused_before_allocating() {
        // A raw header claiming 4 billion 28x28 images, and a gzip one claiming 1000.
        let mut raw = IMAGES_MAGIC.to_be_bytes().to_vec();
        for d in [u32::MAX, 28, 28] {
            raw.extend(d.to_be_bytes());
        }
        let err = images(&raw).unwrap_err().to_string();
        assert!(err.contains("more than the"), "{err}");
        let mut lying = images_bytes(1, 28, 28);
        lying[4..8].copy_from_slice(&1_000_000u32.to_be_bytes());
        let err = images(&lying).unwrap_err().to_string();
        assert!(
            err.contains("1000000 x 28 x 28") && err.contains("holds only 784 bytes"),
            "{err}"
        );
        let err = images(&gz(&lying)).unwrap_err().to_string();
        assert!(err.contains("compressed bytes cannot hold"), "{err}");
        let mut labels_raw = LABELS_MAGIC.to_be_bytes().to_vec();
        labels_raw.extend(u32::MAX.to_be_bytes());
        let err = labels(&labels_raw).unwrap_err().to_string();
        assert!(err.contains("header claims 4294967295 values"), "{err}");
    }

    #[test]
    fn trailing_data_is_refused() {
        let mut raw = labels_bytes(&[1, 2, 3]);
        raw.push(4);
        let err = labels(&raw).unwrap_err().to_string();
        assert!(err.contains("more data than the 3 bytes"), "{err}");
    }

    #[test]
    fn images_and_labels_must_pair_up() {
        let imgs = images(&images_bytes(3, 2, 2)).unwrap();
        let err = pair(imgs.clone(), vec![1, 2], "t", "l.idx", None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("l.idx: holds 2 labels but its image file holds 3"),
            "{err}"
        );
        let d = pair(imgs.clone(), vec![0, 4, 1], "t", "l.idx", None).unwrap();
        assert_eq!((d.classes, d.pixel_max, d.len()), (5, 255.0, 3));
        let err = pair(imgs, vec![0, 10, 1], "t", "l.idx", Some(10))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("l.idx, item 2: label 10") && err.contains("outside the classes 0..9"),
            "{err}"
        );
    }
}
