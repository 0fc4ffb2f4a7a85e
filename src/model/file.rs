//! Trained models on disk: a [safetensors] file holding the weights, plus JSON
//! metadata that says how to rebuild and feed the network.
//!
//! Layout (format version [`FORMAT_VERSION`]), that of PyTorch's `nn.Sequential` of
//! `nn.Linear` layers with an activation between each two (`Linear, Tanh, Linear`), so
//! that `load_state_dict` takes the tensors as they are:
//!
//! - tensors `K.weight`, `f32`, shape `[outputs, inputs]` as `nn.Linear.weight`, where
//!   `K = 2 * layer` is the layer's index in the `nn.Sequential` (0, 2, 4...);
//! - tensors `K.bias`, `f32`, shape `[outputs]`, absent for a layer without biases
//!   (the blog recipe's net, `nn.Linear(..., bias=False)`);
//! - `__metadata__` (a string-to-string map, as safetensors requires):
//!   `format` = `digitnet-model`, `format_version` = `2`, `model` = the
//!   [`Metadata`] as JSON (layer sizes and activations, input shape and pixel
//!   scale, the input normalisation, class labels, training summary), and `crc32`
//!   = a CRC-32 of that JSON and of every tensor's name and bytes, so a corrupted
//!   file is refused rather than silently mispredicting. Every version requires it.
//!
//! The softmax of the last layer is not a module: PyTorch's net gives the logits.
//! Version 1 files (tensors `layers.N.weight` of shape `[inputs, outputs]`, the layout
//! of [`nn::Dense`](crate::nn::Dense), and `layers.N.bias`) still load.
//!
//! Loading checks the format, the version, every tensor's dtype and shape
//! against the metadata, the checksum, that every weight is finite, and that the
//! input scale and normaliser divide by finite numbers of at least
//! [`MIN_DIVISOR`](crate::normalize::MIN_DIVISOR) (a message names the field).
//! Saving is atomic ([`crate::atomic`]): an existing model is never left half-written.
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

use std::collections::HashMap;
use std::path::Path;

use safetensors::{Dtype, SafeTensors, tensor::TensorView};
use serde::{Deserialize, Serialize};

use crate::atomic;
use crate::data::Dataset;
use crate::error::{Error, Result, shown_path};
use crate::nn::{Activation, Dense, MAX_LAYER_PARAMETERS, Mlp};
use crate::normalize::{MIN_DIVISOR, Normalizer};
use crate::preprocess::{Style, Target};

/// The value of the `format` metadata key in every digitnet model file.
pub const FORMAT: &str = "digitnet-model";

/// The newest file layout this version writes and reads.
pub const FORMAT_VERSION: u32 = 2;

/// The first file layout with PyTorch's names and `[outputs, inputs]` weights.
const TORCH_LAYOUT_VERSION: u32 = 2;

/// The largest model file [`Model::load`] reads: far above any net digitnet trains
/// (the 784-800-10 net's file is 2.5 MB), so that a wrong path to a huge file is
/// refused by its size instead of being read into memory.
pub const MAX_MODEL_BYTES: u64 = 1 << 30;

/// A trained network with everything needed to use it on new images.
#[derive(Clone, Debug, PartialEq)]
pub struct Model {
    pub net: Mlp,
    /// Everything else the file records, the input normaliser included
    /// ([`Model::normalizer`]).
    pub meta: Metadata,
}

/// What a model file says about its network, beyond the weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metadata {
    pub format_version: u32,
    /// One entry per layer, input to output.
    pub layers: Vec<LayerInfo>,
    pub input: InputInfo,
    pub normalizer: Normalizer,
    /// The name of each output class, in output order ("0".."9" for digits).
    pub classes: Vec<String>,
    pub training: TrainingSummary,
}

/// One layer's shape and function.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LayerInfo {
    pub inputs: usize,
    pub outputs: usize,
    pub activation: Activation,
    pub bias: bool,
}

/// The images the network expects.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputInfo {
    pub height: usize,
    pub width: usize,
    /// The largest raw pixel value (255 for MNIST, 16 for the 8x8 digits).
    pub pixel_max: f32,
    /// How a picture is prepared to look like the training images.
    pub preparation: Style,
}

impl InputInfo {
    /// The input convention of `data`'s images.
    pub fn of(data: &Dataset) -> Self {
        let target = Target::for_input(data.height, data.width, data.pixel_max);
        InputInfo {
            height: data.height,
            width: data.width,
            pixel_max: data.pixel_max,
            preparation: target.style,
        }
    }

    /// What [`crate::preprocess::prepare`] must produce for this model.
    pub fn target(&self) -> Target {
        Target {
            style: self.preparation,
            height: self.height,
            width: self.width,
        }
    }
}

/// How the model was trained, for `digitnet info` and for the record.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingSummary {
    pub dataset: String,
    pub recipe: String,
    pub seed: u64,
    pub epochs: usize,
    pub train_size: usize,
    pub test_size: usize,
    /// Argmax accuracy on the held-out test set, 0..1 (`None` if there was none).
    pub test_accuracy: Option<f64>,
    pub dropout: f32,
}

impl Model {
    /// Bundles a trained network with its input normaliser, input convention, class
    /// names (one per output, in output order) and training record. Checks that the
    /// pieces agree.
    pub fn new(
        net: Mlp,
        normalizer: Normalizer,
        input: InputInfo,
        classes: Vec<String>,
        training: TrainingSummary,
    ) -> Result<Self> {
        let meta = Metadata {
            format_version: FORMAT_VERSION,
            layers: net
                .layers
                .iter()
                .map(|l| LayerInfo {
                    inputs: l.inputs,
                    outputs: l.outputs,
                    activation: l.activation,
                    bias: l.has_bias(),
                })
                .collect(),
            input,
            normalizer,
            classes,
            training,
        };
        meta.validate().map_err(Error::config)?;
        Ok(Model { net, meta })
    }

    /// How raw pixels (in `meta.input.pixel_max` scale) are mapped before the net.
    pub fn normalizer(&self) -> &Normalizer {
        &self.meta.normalizer
    }

    /// Writes the model to `path` atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        atomic::write(path, &self.to_bytes(&shown_path(path))?)
    }

    /// Reads and checks the model file at `path`.
    /// A file larger than [`MAX_MODEL_BYTES`] is refused before it is read.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        use std::io::Read;
        let path = path.as_ref();
        let origin = shown_path(path);
        let too_large = |size: u64| {
            Error::data(
                &origin,
                format!(
                    "{size} bytes is more than a model file holds (at most {MAX_MODEL_BYTES}); \
                        is this the file `digitnet train --save` wrote?"
                ),
            )
        };
        // Checked before opening: opening a FIFO waits for a writer, and a device such
        // as /dev/zero never ends.
        let kind = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
        if !kind.is_file() {
            return Err(Error::data(
                &origin,
                "is not a regular file (a folder, a device or a pipe): give the file that \
                 `digitnet train --save` wrote",
            ));
        }
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        if size > MAX_MODEL_BYTES {
            return Err(too_large(size));
        }
        // A file that grows while it is read: at most one byte past the limit.
        let mut bytes = Vec::with_capacity(size as usize);
        file.take(MAX_MODEL_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path, e))?;
        if bytes.len() as u64 > MAX_MODEL_BYTES {
            return Err(too_large(bytes.len() as u64));
        }
        Model::from_bytes(&bytes, &origin)
    }

    /// The file's content; `origin` names it in errors.
    pub fn to_bytes(&self, origin: &str) -> Result<Vec<u8>> {
        let meta = Metadata {
            format_version: FORMAT_VERSION,
            ..self.meta.clone()
        };
        let json = serde_json::to_string(&meta)
            .map_err(|e| Error::data(origin, format!("cannot write the metadata: {e}")))?;
        let tensors = tensor_bytes(&self.net);
        let crc = checksum(
            &json,
            tensors.iter().map(|(n, _, d)| (n.as_str(), d.as_slice())),
        );
        let mut header = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
            ("crc32".to_string(), crc),
        ]);
        header.insert("model".to_string(), json);
        let views = tensors
            .iter()
            .map(|(name, shape, data)| {
                Ok((
                    name.clone(),
                    TensorView::new(Dtype::F32, shape.clone(), data)?,
                ))
            })
            .collect::<Result<Vec<_>, safetensors::SafeTensorError>>()
            .and_then(|views| safetensors::serialize(views, Some(header)));
        views
            .map(sorted_header)
            .map_err(|e| Error::data(origin, format!("cannot write the tensors: {e}")))
    }

    /// Parses and checks a model file's content; `origin` names it in errors.
    pub fn from_bytes(bytes: &[u8], origin: &str) -> Result<Self> {
        let bad = |m: String| Error::data(origin, m);
        let file = SafeTensors::deserialize(bytes).map_err(|e| {
            bad(format!(
                "not a readable model file (a safetensors file written by `digitnet train \
                    --save`); it may be truncated or corrupt: {e}"
            ))
        })?;
        let (_, header) = SafeTensors::read_metadata(bytes).map_err(|e| bad(e.to_string()))?;
        let map = header.metadata().clone().unwrap_or_default();
        let meta = read_metadata(&map).map_err(bad)?;
        let version = map
            .get("format_version")
            .and_then(|v| v.parse().ok())
            .unwrap_or(FORMAT_VERSION);
        let expected = expected_tensors(&meta, version);
        check_tensor_names(&file, &expected).map_err(bad)?;
        let views = expected
            .iter()
            .map(|(name, shape)| checked_view(&file, name, shape))
            .collect::<Result<Vec<_>, String>>()
            .map_err(bad)?;
        // Every version carries the checksum (digitnet has written it since its first
        // model file): without it a flipped weight would pass unnoticed.
        let (Some(stored), Some(json)) = (map.get("crc32"), map.get("model")) else {
            return Err(bad(
                "the metadata has no crc32 entry, which every digitnet model file carries \
                 (a checksum of the model JSON and the tensors; README's PyTorch section \
                 shows how to write one)"
                    .into(),
            ));
        };
        let named = expected
            .iter()
            .zip(&views)
            .map(|((n, _), v)| (n.as_str(), v.data()));
        if *stored != checksum(json, named) {
            return Err(bad(
                "the file is corrupt: its checksum does not match its content".into(),
            ));
        }
        let net = build_net(&meta, version, views.iter().map(|v| f32_values(v.data())));
        if !net.is_finite() {
            return Err(bad(
                "the file is corrupt: a weight is NaN or infinite".into()
            ));
        }
        Ok(Model { net, meta })
    }

    /// What [`crate::preprocess::prepare`] must produce for this model.
    pub fn target(&self) -> Target {
        self.meta.input.target()
    }

    /// Checks that `data`'s images have the shape and scale this model was
    /// trained on; the message says which differs.
    pub fn check_dataset(&self, data: &Dataset) -> Result<()> {
        let input = &self.meta.input;
        if (data.height, data.width) != (input.height, input.width) {
            return Err(Error::config(format!(
                "the model was trained on {}x{} images, but the data set '{}' has {}x{} images; \
                    use a data set of {}x{} images or a model trained on {}x{}",
                input.height,
                input.width,
                data.name,
                data.height,
                data.width,
                input.height,
                input.width,
                data.height,
                data.width
            )));
        }
        if data.pixel_max != input.pixel_max || data.classes > self.net.outputs() {
            return Err(Error::config(format!(
                "the model expects pixels 0..{} and {} classes, but the data set '{}' has pixels \
                    0..{} and {} classes",
                input.pixel_max,
                self.net.outputs(),
                data.name,
                data.pixel_max,
                data.classes
            )));
        }
        Ok(())
    }
}

impl Metadata {
    /// Checks that the metadata describes a network that can be built: layers
    /// chain, sizes match the input and classes, and nothing is absurdly large.
    fn validate(&self) -> Result<(), String> {
        let Some(first) = self.layers.first() else {
            return Err("the metadata lists no layers".into());
        };
        let features = self.input.height.saturating_mul(self.input.width);
        if first.inputs != features {
            return Err(format!(
                "the metadata disagrees with itself: layer 0 takes {} inputs, but the input is \
                    {}x{}",
                first.inputs, self.input.height, self.input.width
            ));
        }
        for (i, pair) in self.layers.windows(2).enumerate() {
            if pair[0].outputs != pair[1].inputs {
                return Err(format!(
                    "the metadata disagrees with itself: layer {i} gives {} outputs, layer {} \
                        takes {}",
                    pair[0].outputs,
                    i + 1,
                    pair[1].inputs
                ));
            }
        }
        for (i, l) in self.layers.iter().enumerate() {
            if l.inputs == 0
                || l.outputs == 0
                || l.inputs.saturating_mul(l.outputs) > MAX_LAYER_PARAMETERS
            {
                return Err(format!(
                    "layer {i} has an invalid size {}x{}",
                    l.inputs, l.outputs
                ));
            }
        }
        let last = &self.layers[self.layers.len() - 1];
        if last.activation != Activation::Softmax {
            return Err(format!(
                "the last layer must be softmax, not {}",
                last.activation
            ));
        }
        if self.classes.len() != last.outputs {
            return Err(format!(
                "the metadata names {} classes, but the last layer has {} outputs",
                self.classes.len(),
                last.outputs
            ));
        }
        check_divisor("input.pixel_max", self.input.pixel_max)?;
        check_normalizer(&self.normalizer, features)
    }
}

/// The normaliser must fit the input size and divide by positive numbers; the message
/// names the metadata field that does not.
fn check_normalizer(n: &Normalizer, features: usize) -> Result<(), String> {
    match n {
        Normalizer::BlogMeanVar { mean, var } => {
            check_finite("normalizer.mean", *mean)?;
            check_divisor("normalizer.var", *var)
        }
        Normalizer::Standardize { mean, std } => {
            for (field, values) in [("normalizer.mean", mean), ("normalizer.std", std)] {
                if values.len() != features {
                    return Err(format!(
                        "{field} holds {} values, but the input has {features} pixels",
                        values.len()
                    ));
                }
            }
            for (i, (&m, &s)) in mean.iter().zip(std).enumerate() {
                check_finite(&format!("normalizer.mean[{i}]"), m)?;
                // A standard deviation of 0 marks a pixel that never varied: only centred.
                if s != 0.0 {
                    check_divisor(&format!("normalizer.std[{i}]"), s)?;
                }
            }
            Ok(())
        }
        Normalizer::Scale { pixel_max } => check_divisor("normalizer.pixel_max", *pixel_max),
    }
}

/// A value the input is divided by: finite and at least [`MIN_DIVISOR`]. A divisor
/// such as 1e-45 (a crafted file) turns pixels into infinities and the answers into
/// NaN; real data's spreads and scales are many orders of magnitude larger.
fn check_divisor(field: &str, value: f32) -> Result<(), String> {
    if value.is_finite() && value >= MIN_DIVISOR {
        Ok(())
    } else {
        Err(format!(
            "the metadata field {field} is {value:?}, which should be a finite number of at \
             least {MIN_DIVISOR:e} (inputs are divided by it)"
        ))
    }
}

/// A value the input is shifted by: finite.
fn check_finite(field: &str, value: f32) -> Result<(), String> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(format!(
            "the metadata field {field} is {value:?}, which should be a finite number"
        ))
    }
}

/// Reads the `__metadata__` map: format, version (refusing newer ones), then the JSON.
fn read_metadata(map: &HashMap<String, String>) -> Result<Metadata, String> {
    let not_ours = || {
        format!(
            "a safetensors file, but not a digitnet model (its metadata has no format = \
                {FORMAT}); models come from `digitnet train --save FILE`"
        )
    };
    if map.get("format").map(String::as_str) != Some(FORMAT) {
        return Err(not_ours());
    }
    let version = map.get("format_version").map(String::as_str).unwrap_or("");
    match version.parse::<u32>() {
        Ok(v) if v > FORMAT_VERSION => {
            return Err(format!(
                "format version {v} is newer than this digitnet reads (up to {FORMAT_VERSION}); \
                    upgrade digitnet to use this model"
            ));
        }
        Ok(v) if v >= 1 => {}
        _ => {
            return Err(format!(
                "invalid format version '{version}', which should be a whole number from 1 to \
                    {FORMAT_VERSION}"
            ));
        }
    }
    let json = map
        .get("model")
        .ok_or("the metadata has no 'model' entry")?;
    let meta: Metadata = serde_json::from_str(json)
        .map_err(|e| format!("the metadata 'model' is not valid: {e}"))?;
    meta.validate()?;
    Ok(meta)
}

/// The name of layer `layer`'s `part` (`weight` or `bias`) in a file of `version`.
fn tensor_name(version: u32, layer: usize, part: &str) -> String {
    if version >= TORCH_LAYOUT_VERSION {
        format!("{}.{part}", 2 * layer)
    } else {
        format!("layers.{layer}.{part}")
    }
}

/// The shape of a weight tensor in a file of `version`.
fn weight_shape(version: u32, l: &LayerInfo) -> Vec<usize> {
    if version >= TORCH_LAYOUT_VERSION {
        vec![l.outputs, l.inputs]
    } else {
        vec![l.inputs, l.outputs]
    }
}

/// Each tensor the metadata calls for in a file of `version`, with its shape, in
/// layer order.
fn expected_tensors(meta: &Metadata, version: u32) -> Vec<(String, Vec<usize>)> {
    let mut out = Vec::new();
    for (i, l) in meta.layers.iter().enumerate() {
        out.push((tensor_name(version, i, "weight"), weight_shape(version, l)));
        if l.bias {
            out.push((tensor_name(version, i, "bias"), vec![l.outputs]));
        }
    }
    out
}

/// `rows x cols` row-major values, transposed (`cols x rows`).
fn transpose(values: &[f32], rows: usize, cols: usize) -> Vec<f32> {
    let mut out = vec![0.0; values.len()];
    for (r, row) in values.chunks_exact(cols).enumerate().take(rows) {
        for (c, &v) in row.iter().enumerate() {
            out[c * rows + r] = v;
        }
    }
    out
}

/// Every expected tensor is present, and nothing else.
fn check_tensor_names(file: &SafeTensors, expected: &[(String, Vec<usize>)]) -> Result<(), String> {
    let mut present = file.names();
    present.sort_unstable();
    if let Some(extra) = present
        .iter()
        .find(|n| !expected.iter().any(|(e, _)| e == *n))
    {
        return Err(format!(
            "unexpected tensor '{extra}': the metadata lists no such layer"
        ));
    }
    if let Some((missing, _)) = expected
        .iter()
        .find(|(e, _)| !present.contains(&e.as_str()))
    {
        return Err(format!(
            "tensor '{missing}' is missing, but the metadata calls for it"
        ));
    }
    Ok(())
}

/// The tensor `name`, after checking its dtype and shape.
fn checked_view<'a>(
    file: &SafeTensors<'a>,
    name: &str,
    shape: &[usize],
) -> Result<TensorView<'a>, String> {
    let view = file.tensor(name).map_err(|e| e.to_string())?;
    if view.dtype() != Dtype::F32 {
        return Err(format!(
            "tensor '{name}' is {:?}, which should be F32",
            view.dtype()
        ));
    }
    if view.shape() != shape {
        return Err(format!(
            "tensor '{name}' has shape {:?}, but the metadata says {shape:?}",
            view.shape()
        ));
    }
    Ok(view)
}

/// Little-endian `f32` bytes as values.
fn f32_values(bytes: &[u8]) -> Vec<f32> {
    bytes
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect()
}

/// The network described by `meta`, with the tensors of a file of `version` given in
/// layer order (weight, then bias when the layer has one).
fn build_net(meta: &Metadata, version: u32, tensors: impl Iterator<Item = Vec<f32>>) -> Mlp {
    let mut tensors = tensors;
    let layers = meta
        .layers
        .iter()
        .map(|l| Dense {
            inputs: l.inputs,
            outputs: l.outputs,
            weight: {
                let w = tensors.next().unwrap_or_default();
                if version >= TORCH_LAYOUT_VERSION {
                    transpose(&w, l.outputs, l.inputs)
                } else {
                    w
                }
            },
            bias: if l.bias {
                tensors.next().unwrap_or_default()
            } else {
                Vec::new()
            },
            activation: l.activation,
        })
        .collect();
    Mlp { layers }
}

/// Name, shape and little-endian bytes of every tensor of `net` in the current
/// layout, in layer order.
fn tensor_bytes(net: &Mlp) -> Vec<(String, Vec<usize>, Vec<u8>)> {
    let v = FORMAT_VERSION;
    let mut out = Vec::new();
    for (i, l) in net.layers.iter().enumerate() {
        out.push((
            tensor_name(v, i, "weight"),
            vec![l.outputs, l.inputs],
            f32_bytes(&transpose(&l.weight, l.inputs, l.outputs)),
        ));
        if l.has_bias() {
            out.push((
                tensor_name(v, i, "bias"),
                vec![l.outputs],
                f32_bytes(&l.bias),
            ));
        }
    }
    out
}

fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// CRC-32 of the metadata JSON and each tensor's name and bytes, as 8 hex digits.
fn checksum<'a>(json: &str, tensors: impl IntoIterator<Item = (&'a str, &'a [u8])>) -> String {
    let mut h = crc32fast::Hasher::new();
    h.update(json.as_bytes());
    for (name, data) in tensors {
        h.update(name.as_bytes());
        h.update(data);
    }
    format!("{:08x}", h.finalize())
}

/// Small models for other modules' tests.
#[cfg(test)]
pub(crate) mod tests_support {
    use super::*;
    use crate::nn::{Init, NetSpec};
    use rand::SeedableRng;
    use rand::rngs::Xoshiro256PlusPlus;

    /// A random (untrained) model of `spec` on `height x width` images of 0..16.
    pub fn random_model(
        spec: &NetSpec,
        (height, width): (usize, usize),
        normalizer: Normalizer,
    ) -> Model {
        let net = Mlp::new(spec, &mut Xoshiro256PlusPlus::seed_from_u64(0)).unwrap();
        let input = InputInfo {
            height,
            width,
            pixel_max: 16.0,
            preparation: Style::Optdigits,
        };
        let training = TrainingSummary {
            dataset: "none".into(),
            recipe: "standard".into(),
            seed: 0,
            epochs: 0,
            train_size: 0,
            test_size: 0,
            test_accuracy: None,
            dropout: 0.0,
        };
        let classes = (0..net.outputs()).map(|c| c.to_string()).collect();
        Model::new(net, normalizer, input, classes, training).unwrap()
    }

    /// An untrained 64-8-10 model with the 8x8 digits' input convention.
    pub fn tiny_digits_model() -> Model {
        let spec = NetSpec {
            sizes: vec![64, 8, 10],
            activation: Activation::Tanh,
            bias: true,
            init: Init::Scaled,
        };
        random_model(&spec, (8, 8), Normalizer::Scale { pixel_max: 16.0 })
    }
}

/// The same safetensors file with its header's keys in sorted order, so that one model
/// always gives the same bytes (`safetensors` writes its metadata from a `HashMap`).
/// Sorting keeps the header's length, so the data offsets stay valid; a header that
/// cannot be read back is left as it was.
fn sorted_header(mut bytes: Vec<u8>) -> Vec<u8> {
    use std::collections::BTreeMap;
    let Some(len) = bytes.get(..8).and_then(|b| <[u8; 8]>::try_from(b).ok()) else {
        return bytes;
    };
    let end = usize::try_from(u64::from_le_bytes(len))
        .ok()
        .and_then(|n| n.checked_add(8))
        .filter(|&end| end <= bytes.len());
    let Some(end) = end else { return bytes };
    let text = &bytes[8..end];
    let parsed = serde_json::from_slice::<BTreeMap<String, serde_json::Value>>(text);
    let Ok(mut header) = parsed else { return bytes };
    if let Some(meta) = header.get_mut("__metadata__") {
        let sorted = serde_json::from_value::<BTreeMap<String, String>>(meta.clone());
        if let Ok(value) = sorted.and_then(serde_json::to_value) {
            *meta = value;
        }
    }
    let Ok(mut sorted) = serde_json::to_vec(&header) else {
        return bytes;
    };
    if sorted.len() > text.len() {
        return bytes;
    }
    sorted.resize(text.len(), b' ');
    bytes[8..end].copy_from_slice(&sorted);
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::digits;
    use crate::nn::{Init, NetSpec};

    /// A random net without biases (the blog recipe's kind).
    fn blog_model() -> Model {
        let spec = NetSpec {
            sizes: vec![4, 3, 2],
            activation: Activation::Tanh,
            bias: false,
            init: Init::UnitUniform,
        };
        let normalizer = Normalizer::BlogMeanVar {
            mean: 4.5,
            var: 36.25,
        };
        tests_support::random_model(&spec, (2, 2), normalizer)
    }

    /// A safetensors file with the given metadata JSON and tensors.
    fn file_with(json: &str, version: &str, tensors: &[(&str, Vec<usize>)]) -> Vec<u8> {
        let data: Vec<Vec<u8>> = tensors
            .iter()
            .map(|(_, s)| vec![0u8; 4 * s.iter().product::<usize>()])
            .collect();
        let views: Vec<(String, TensorView)> = tensors
            .iter()
            .zip(&data)
            .map(|((n, s), d)| {
                (
                    n.to_string(),
                    TensorView::new(Dtype::F32, s.clone(), d).unwrap(),
                )
            })
            .collect();
        let crc = checksum(
            json,
            tensors
                .iter()
                .zip(&data)
                .map(|((n, _), d)| (*n, d.as_slice())),
        );
        let meta = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("format_version".to_string(), version.to_string()),
            ("model".to_string(), json.to_string()),
            ("crc32".to_string(), crc),
        ]);
        safetensors::serialize(views, Some(meta)).unwrap()
    }

    fn load_err(bytes: &[u8]) -> String {
        Model::from_bytes(bytes, "m.safetensors")
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn layers_without_bias_have_no_bias_tensor() {
        let model = blog_model();
        let bytes = model.to_bytes("m").unwrap();
        let names = SafeTensors::deserialize(&bytes).unwrap().names().len();
        assert_eq!(names, 2);
        assert_eq!(Model::from_bytes(&bytes, "m").unwrap(), model);
    }

    #[test]
    fn weights_are_stored_as_torch_linear_outputs_by_inputs() {
        let model = blog_model();
        let bytes = model.to_bytes("m").unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let mut names = file.names();
        names.sort_unstable();
        assert_eq!(names, ["0.weight", "2.weight"]);
        let w = file.tensor("0.weight").unwrap();
        assert_eq!(w.shape(), [3, 4]);
        // Unit j's incoming weights are row j, as in nn.Linear.weight.
        let stored = f32_values(w.data());
        let dense = &model.net.layers[0];
        for j in 0..3 {
            for i in 0..4 {
                assert_eq!(stored[j * 4 + i], dense.weight[i * 3 + j]);
            }
        }
    }

    #[test]
    fn a_version_1_file_still_loads() {
        let model = blog_model();
        let mut meta = model.meta.clone();
        meta.format_version = 1;
        let json = serde_json::to_string(&meta).unwrap();
        let tensors: Vec<(String, Vec<usize>, Vec<u8>)> = model
            .net
            .layers
            .iter()
            .enumerate()
            .map(|(i, l)| {
                let shape = vec![l.inputs, l.outputs];
                (format!("layers.{i}.weight"), shape, f32_bytes(&l.weight))
            })
            .collect();
        let crc = checksum(
            &json,
            tensors.iter().map(|(n, _, d)| (n.as_str(), d.as_slice())),
        );
        let header = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("format_version".to_string(), "1".to_string()),
            ("crc32".to_string(), crc),
            ("model".to_string(), json),
        ]);
        let views = tensors.iter().map(|(n, shape, d)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, shape.clone(), d).unwrap(),
            )
        });
        let bytes = safetensors::serialize(views, Some(header)).unwrap();
        let loaded = Model::from_bytes(&bytes, "v1").unwrap();
        assert_eq!(loaded.net, model.net);
        assert_eq!(loaded.meta.format_version, 1);
        // Saved again, it is written in the current layout.
        let again = Model::from_bytes(&loaded.to_bytes("v2").unwrap(), "v2").unwrap();
        assert_eq!(
            (again.net, again.meta.format_version),
            (model.net, FORMAT_VERSION)
        );
    }

    #[test]
    fn save_and_load_through_a_file() {
        let dir = crate::test_support::scratch("model-file");
        let path = dir.join("m.safetensors");
        let model = blog_model();
        model.save(&path).unwrap();
        assert_eq!(Model::load(&path).unwrap(), model);
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        let missing = Model::load(dir.join("none.safetensors")).unwrap_err();
        assert!(missing.to_string().contains("none.safetensors"));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn the_same_model_always_gives_the_same_bytes_with_sorted_metadata() {
        let model = tests_support::tiny_digits_model();
        let first = model.to_bytes("m").unwrap();
        for _ in 0..8 {
            assert_eq!(model.to_bytes("m").unwrap(), first);
        }
        let len = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
        let header = std::str::from_utf8(&first[8..8 + len]).unwrap();
        let keys = ["\"crc32\"", "\"format\"", "\"format_version\"", "\"model\""];
        let at: Vec<usize> = keys.iter().map(|k| header.find(k).unwrap()).collect();
        assert!(at.windows(2).all(|w| w[0] < w[1]), "{header}");
        Model::from_bytes(&first, "m").expect("the sorted file loads");
    }

    #[cfg(unix)]
    #[test]
    fn devices_and_fifos_are_refused_before_they_are_opened() {
        let dir = crate::test_support::scratch("model-fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        for path in [fifo.as_path(), Path::new("/dev/zero")] {
            let err = Model::load(path).unwrap_err().to_string();
            assert!(err.contains("is not a regular file"), "{err}");
        }
    }

    #[test]
    fn a_file_too_large_to_be_a_model_is_refused_by_its_size() {
        let dir = crate::test_support::scratch("model-too-large");
        let path = dir.join("huge.bin");
        // A sparse file: its size is set, nothing is written or read.
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_MODEL_BYTES + 1).unwrap();
        let err = Model::load(&path).unwrap_err().to_string();
        assert!(err.contains("huge.bin"), "{err}");
        assert!(
            err.contains("1073741825 bytes is more than a model file holds"),
            "{err}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn truncated_and_corrupted_files_are_refused() {
        let bytes = blog_model().to_bytes("m").unwrap();
        let err = load_err(&bytes[..bytes.len() - 5]);
        assert!(
            err.starts_with("m.safetensors: not a readable model file"),
            "{err}"
        );
        assert!(err.contains("truncated"), "{err}");
        let mut flipped = bytes.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 0x10;
        let err = load_err(&flipped);
        assert!(err.contains("corrupt: its checksum"), "{err}");
    }

    #[test]
    fn files_that_are_not_models_are_named_as_such() {
        let err = load_err(b"label,pixel0\n3,0\n");
        assert!(err.contains("not a readable model file"), "{err}");
        let other = safetensors::serialize(
            [("w", TensorView::new(Dtype::F32, vec![1], &[0; 4]).unwrap())],
            None,
        )
        .unwrap();
        let err = load_err(&other);
        assert!(err.contains("not a digitnet model"), "{err}");
    }

    #[test]
    fn a_newer_format_version_asks_for_an_upgrade() {
        let json = serde_json::to_string(&blog_model().meta).unwrap();
        let shapes = [
            ("layers.0.weight", vec![4, 3]),
            ("layers.1.weight", vec![3, 2]),
        ];
        assert!(Model::from_bytes(&file_with(&json, "1", &shapes), "m").is_ok());
        let newer = (FORMAT_VERSION + 1).to_string();
        let err = load_err(&file_with(&json, &newer, &shapes));
        assert!(
            err.contains(&format!("format version {newer} is newer")),
            "{err}"
        );
        let err = load_err(&file_with(&json, "one", &shapes));
        assert!(err.contains("invalid format version 'one'"), "{err}");
    }

    #[test]
    fn tensors_that_disagree_with_the_metadata_are_refused() {
        let json = serde_json::to_string(&blog_model().meta).unwrap();
        let err = load_err(&file_with(
            &json,
            "1",
            &[
                ("layers.0.weight", vec![4, 5]),
                ("layers.1.weight", vec![3, 2]),
            ],
        ));
        assert!(
            err.contains("tensor 'layers.0.weight' has shape [4, 5], but the metadata says [4, 3]"),
            "{err}"
        );
        let err = load_err(&file_with(&json, "1", &[("layers.0.weight", vec![4, 3])]));
        assert!(err.contains("tensor 'layers.1.weight' is missing"), "{err}");
        let err = load_err(&file_with(
            &json,
            "1",
            &[
                ("layers.0.weight", vec![4, 3]),
                ("layers.1.weight", vec![3, 2]),
                ("layers.1.bias", vec![2]),
            ],
        ));
        assert!(err.contains("unexpected tensor 'layers.1.bias'"), "{err}");
        let mut meta = blog_model().meta;
        meta.layers[1].inputs = 7;
        let json = serde_json::to_string(&meta).unwrap();
        let err = load_err(&file_with(&json, "1", &[]));
        assert!(
            err.contains("layer 0 gives 3 outputs, layer 1 takes 7"),
            "{err}"
        );
    }

    #[test]
    fn an_8x8_model_refuses_28x28_images() {
        let model = tests_support::tiny_digits_model();
        let mnist_like = Dataset::new("m", vec![0.0; 784], vec![3], (28, 28), 255.0, 10).unwrap();
        let err = model.check_dataset(&mnist_like).unwrap_err().to_string();
        assert!(
            err.contains("trained on 8x8 images, but the data set 'm' has 28x28 images"),
            "{err}"
        );
    }

    #[test]
    fn a_model_refuses_data_of_another_shape() {
        let model = blog_model(); // 2x2 inputs
        let data = digits::load().unwrap();
        let err = model.check_dataset(&data).unwrap_err().to_string();
        assert!(
            err.contains("trained on 2x2 images, but the data set 'digits' has 8x8 images"),
            "{err}"
        );
    }

    /// `model`'s file with its metadata JSON changed by `edit` and the checksum made
    /// to match, so that loading reaches the checks after it.
    fn with_json(model: &Model, edit: &[(&str, &str)]) -> Vec<u8> {
        let mut json = serde_json::to_string(&model.meta).unwrap();
        for (from, to) in edit {
            assert!(json.contains(from), "{from} is not in {json}");
            json = json.replace(from, to);
        }
        let tensors = tensor_bytes(&model.net);
        let crc = checksum(
            &json,
            tensors.iter().map(|(n, _, d)| (n.as_str(), d.as_slice())),
        );
        let header = HashMap::from([
            ("format".to_string(), FORMAT.to_string()),
            ("format_version".to_string(), FORMAT_VERSION.to_string()),
            ("crc32".to_string(), crc),
            ("model".to_string(), json),
        ]);
        let views = tensors.iter().map(|(n, shape, d)| {
            (
                n.clone(),
                TensorView::new(Dtype::F32, shape.clone(), d).unwrap(),
            )
        });
        safetensors::serialize(views, Some(header)).unwrap()
    }

    /// Asserts that `bytes` are refused with a message naming the file and `field`.
    fn refused_naming(bytes: &[u8], field: &str, value: &str) {
        let err = load_err(bytes);
        assert!(err.starts_with("m.safetensors: "), "{err}");
        assert!(
            err.contains(&format!(
                "the metadata field {field} is {value}, which should be"
            )),
            "{err}"
        );
    }

    #[test]
    fn a_normaliser_variance_of_1e_45_is_refused_naming_the_field() {
        let model = blog_model();
        Model::from_bytes(&with_json(&model, &[]), "m").expect("the unedited file loads");
        let bytes = with_json(&model, &[(r#""var":36.25"#, r#""var":1e-45"#)]);
        refused_naming(&bytes, "normalizer.var", "1e-45");
    }

    #[test]
    fn an_infinite_normaliser_variance_is_refused_naming_the_field() {
        // JSON has no infinity; 1e39 is one once read as an f32.
        let bytes = with_json(&blog_model(), &[(r#""var":36.25"#, r#""var":1e39"#)]);
        refused_naming(&bytes, "normalizer.var", "inf");
    }

    #[test]
    fn an_input_pixel_max_of_1e_45_is_refused_naming_the_field() {
        let bytes = with_json(
            &blog_model(),
            &[(r#""pixel_max":16.0"#, r#""pixel_max":1e-45"#)],
        );
        refused_naming(&bytes, "input.pixel_max", "1e-45");
    }

    #[test]
    fn a_scale_normaliser_of_1e_45_is_refused_naming_the_field() {
        let bytes = with_json(
            &tests_support::tiny_digits_model(),
            &[(
                r#""kind":"scale","pixel_max":16.0"#,
                r#""kind":"scale","pixel_max":1e-45"#,
            )],
        );
        refused_naming(&bytes, "normalizer.pixel_max", "1e-45");
    }

    #[test]
    fn a_standard_deviation_of_1e_45_or_an_infinite_mean_is_refused_naming_the_pixel() {
        let spec = NetSpec {
            sizes: vec![4, 3, 2],
            activation: Activation::Tanh,
            bias: true,
            init: Init::Scaled,
        };
        let normalizer = Normalizer::Standardize {
            mean: vec![0.5; 4],
            std: vec![2.0, 0.0, 2.0, 2.0],
        };
        let model = tests_support::random_model(&spec, (2, 2), normalizer);
        Model::from_bytes(&with_json(&model, &[]), "m").expect("a std of 0 is allowed");
        let bytes = with_json(&model, &[("[2.0,0.0,2.0,2.0]", "[2.0,0.0,1e-45,2.0]")]);
        refused_naming(&bytes, "normalizer.std[2]", "1e-45");
        let bytes = with_json(&model, &[("[0.5,0.5,0.5,0.5]", "[0.5,-1e39,0.5,0.5]")]);
        refused_naming(&bytes, "normalizer.mean[1]", "-inf");
    }

    #[test]
    fn a_file_without_its_checksum_is_refused() {
        let bytes = blog_model().to_bytes("m").unwrap();
        let file = SafeTensors::deserialize(&bytes).unwrap();
        let (_, header) = SafeTensors::read_metadata(&bytes).unwrap();
        let mut map = header.metadata().clone().unwrap();
        assert!(map.remove("crc32").is_some());
        let stripped = safetensors::serialize(file.tensors(), Some(map)).unwrap();
        let err = load_err(&stripped);
        assert!(err.contains("the metadata has no crc32 entry"), "{err}");
    }
}
