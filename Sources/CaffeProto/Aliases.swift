// Caffe's own names for the generated `Caffe_*` message types.

// swift-protobuf prefixes every type with the proto package (`Caffe_NetParameter`); the rest of
// swift-caffe uses Caffe's own names. Nested enums follow: `PoolingParameter.PoolMethod`.

// MARK: - Blobs and stored data

/// Dimensions of an N-d blob, outermost first.
public typealias BlobShape = Caffe_BlobShape
/// A serialized blob: shape plus data and (optionally) diff values.
///
/// `num`/`channels`/`height`/`width` are the legacy 4-d shape, used before `shape`.
public typealias BlobProto = Caffe_BlobProto
/// Several blobs in one file, such as a list of mean images.
public typealias BlobProtoVector = Caffe_BlobProtoVector
/// One stored example: C x H x W pixels (raw bytes or floats) and an integer label.
public typealias Datum = Caffe_Datum
/// How to initialise a parameter blob.
public typealias FillerParameter = Caffe_FillerParameter

// MARK: - Nets

/// Whether a net is built for training or for testing.
public typealias Phase = Caffe_Phase
/// The state a net is instantiated in; matched against NetStateRule.
public typealias NetState = Caffe_NetState
/// A condition on `NetState` deciding whether a layer is part of the net.
///
/// All the conditions given must hold.
public typealias NetStateRule = Caffe_NetStateRule
/// Per-parameter-blob settings of a layer: sharing name and lr/decay multipliers.
public typealias ParamSpec = Caffe_ParamSpec
/// A whole network: its inputs and its layers.
public typealias NetParameter = Caffe_NetParameter
/// One layer of a network, in the current format.
///
/// Each layer type reads its own `*_param` block.
public typealias LayerParameter = Caffe_LayerParameter

// MARK: - Solvers

/// Optimisation settings: which net, learning-rate schedule, snapshots, solver type.
public typealias SolverParameter = Caffe_SolverParameter
/// What a solver needs to resume: iteration, learner history, lr-schedule step.
public typealias SolverState = Caffe_SolverState

// MARK: - Layer parameters

/// Preprocessing applied by data layers (scale, mirror, crop, mean).
public typealias TransformationParameter = Caffe_TransformationParameter
/// Settings shared by loss layers.
public typealias LossParameter = Caffe_LossParameter
/// Accuracy layer.
public typealias AccuracyParameter = Caffe_AccuracyParameter
/// ArgMax layer.
public typealias ArgMaxParameter = Caffe_ArgMaxParameter
/// BatchNorm layer.
public typealias BatchNormParameter = Caffe_BatchNormParameter
/// Bias layer.
public typealias BiasParameter = Caffe_BiasParameter
/// Clip layer: clamps values to [min, max].
public typealias ClipParameter = Caffe_ClipParameter
/// Concat layer.
public typealias ConcatParameter = Caffe_ConcatParameter
/// ContrastiveLoss layer.
public typealias ContrastiveLossParameter = Caffe_ContrastiveLossParameter
/// Convolution and Deconvolution layers.
///
/// Kernel, stride, pad and dilation are given either per spatial axis (repeated) or as `_h`/`_w`
/// pairs.
public typealias ConvolutionParameter = Caffe_ConvolutionParameter
/// Crop layer.
public typealias CropParameter = Caffe_CropParameter
/// Data layer reading a LevelDB or LMDB database.
public typealias DataParameter = Caffe_DataParameter
/// Dropout layer.
public typealias DropoutParameter = Caffe_DropoutParameter
/// DummyData layer: blobs filled by fillers, one shape per top.
public typealias DummyDataParameter = Caffe_DummyDataParameter
/// Eltwise layer.
public typealias EltwiseParameter = Caffe_EltwiseParameter
/// ELU layer.
public typealias ELUParameter = Caffe_ELUParameter
/// Embed layer.
public typealias EmbedParameter = Caffe_EmbedParameter
/// Exp layer: y = base ^ (shift + scale * x); base -1 means e.
public typealias ExpParameter = Caffe_ExpParameter
/// Flatten layer.
public typealias FlattenParameter = Caffe_FlattenParameter
/// HDF5Data layer.
public typealias HDF5DataParameter = Caffe_HDF5DataParameter
/// HDF5Output layer.
public typealias HDF5OutputParameter = Caffe_HDF5OutputParameter
/// HingeLoss layer.
public typealias HingeLossParameter = Caffe_HingeLossParameter
/// ImageData layer reading image files listed in a text file.
public typealias ImageDataParameter = Caffe_ImageDataParameter
/// InfogainLoss layer.
public typealias InfogainLossParameter = Caffe_InfogainLossParameter
/// InnerProduct layer.
public typealias InnerProductParameter = Caffe_InnerProductParameter
/// Input layer: one shape per top (or one for all).
public typealias InputParameter = Caffe_InputParameter
/// Log layer: y = log_base(shift + scale * x); base -1 means e.
public typealias LogParameter = Caffe_LogParameter
/// LRN (local response normalisation) layer.
public typealias LRNParameter = Caffe_LRNParameter
/// MemoryData layer.
public typealias MemoryDataParameter = Caffe_MemoryDataParameter
/// MVN (mean-variance normalisation) layer.
public typealias MVNParameter = Caffe_MVNParameter
/// Parameter layer: exposes a learnable blob of the given shape.
public typealias ParameterParameter = Caffe_ParameterParameter
/// Pooling layer.
public typealias PoolingParameter = Caffe_PoolingParameter
/// Power layer: y = (shift + scale * x) ^ power.
public typealias PowerParameter = Caffe_PowerParameter
/// PReLU layer.
public typealias PReLUParameter = Caffe_PReLUParameter
/// Python layer.
public typealias PythonParameter = Caffe_PythonParameter
/// RNN and LSTM layers.
public typealias RecurrentParameter = Caffe_RecurrentParameter
/// Reduction layer.
public typealias ReductionParameter = Caffe_ReductionParameter
/// ReLU layer (negative_slope > 0 gives a leaky ReLU).
public typealias ReLUParameter = Caffe_ReLUParameter
/// Reshape layer.
public typealias ReshapeParameter = Caffe_ReshapeParameter
/// Scale layer.
public typealias ScaleParameter = Caffe_ScaleParameter
/// Sigmoid layer.
public typealias SigmoidParameter = Caffe_SigmoidParameter
/// Slice layer.
public typealias SliceParameter = Caffe_SliceParameter
/// Softmax and SoftmaxWithLoss layers.
public typealias SoftmaxParameter = Caffe_SoftmaxParameter
/// SPP (spatial pyramid pooling) layer.
public typealias SPPParameter = Caffe_SPPParameter
/// Swish layer.
public typealias SwishParameter = Caffe_SwishParameter
/// TanH layer.
public typealias TanHParameter = Caffe_TanHParameter
/// Threshold layer.
public typealias ThresholdParameter = Caffe_ThresholdParameter
/// Tile layer.
public typealias TileParameter = Caffe_TileParameter
/// WindowData layer.
public typealias WindowDataParameter = Caffe_WindowDataParameter

// MARK: - Legacy layer formats

/// A layer in the V1 format (`layers` in `NetParameter`), with an enum type instead of a string.
///
/// Read only to upgrade old nets.
public typealias V1LayerParameter = Caffe_V1LayerParameter
/// A layer in the V0 format (`layers { layer { … } }`), with all settings flat in one message.
///
/// Read only to upgrade old nets.
public typealias V0LayerParameter = Caffe_V0LayerParameter
