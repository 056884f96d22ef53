"""Rewrite a TensorFlow Lite detector as a plain fp32 ONNX graph that tract-onnx can run.

Why this exists: MediaPipe ships its person (body) detector only as a `.tflite` file whose weights
are stored as sparse fp16 constants (DENSIFY, DEQUANTIZE) and which upsamples with DEPTH_TO_SPACE;
tract's TFLite reader cannot load that as shipped, and we already run the face model with
tract-onnx. No maintained converter handles this file (tflite2onnx 0.4.1 stops at DENSIFY), so
this one does exactly what the file needs and refuses everything else by name:

- constant folding of DENSIFY and DEQUANTIZE, so every weight becomes a dense fp32 initializer;
- CONV_2D, DEPTHWISE_CONV_2D, PAD, ADD, DEPTH_TO_SPACE, RESIZE_BILINEAR, RESHAPE, CONCATENATION,
  with the fused activations NONE and RELU6;
- the graph runs in ONNX's NCHW layout; the input stays NHWC (1x224x224x3 as MediaPipe defines
  it) and tensors are turned back to NHWC before a RESHAPE so its element order is TFLite's.

Run once at install time by `cargo xtask` (the output's SHA-256 is pinned there and at load):

    python tflite_to_onnx.py MODEL.tflite OUT.onnx [--reference DIR]

`--reference DIR` also runs the original file in Google's LiteRT interpreter on fixed inputs and
writes the inputs and outputs as raw little-endian f32 files, so a Rust test can check that tract
on the rewritten graph computes what the original computes.
"""

import argparse
import json
import os
import sys

import numpy as np
import onnx
import tflite
from onnx import TensorProto, helper, numpy_helper

OPSET = 13

OPERATOR_NAMES = {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
TENSOR_TYPES = {
    tflite.TensorType.FLOAT32: np.float32,
    tflite.TensorType.FLOAT16: np.float16,
    tflite.TensorType.INT32: np.int32,
    tflite.TensorType.INT64: np.int64,
}
PADDING_SAME = tflite.Padding.SAME
ACTIVATION_NONE = tflite.ActivationFunctionType.NONE
ACTIVATION_RELU6 = tflite.ActivationFunctionType.RELU6


class Unsupported(Exception):
    pass


def options(op, cls):
    table = op.BuiltinOptions()
    parsed = cls()
    parsed.Init(table.Bytes, table.Pos)
    return parsed


def sparse_index_vector(dim, which):
    """The CSR segments or indices of one sparse dimension, whichever integer width it uses."""
    kind = dim.ArraySegmentsType() if which == "segments" else dim.ArrayIndicesType()
    table = dim.ArraySegments() if which == "segments" else dim.ArrayIndices()
    vector = {
        tflite.SparseIndexVector.Int32Vector: tflite.Int32Vector,
        tflite.SparseIndexVector.Uint16Vector: tflite.Uint16Vector,
        tflite.SparseIndexVector.Uint8Vector: tflite.Uint8Vector,
    }.get(kind)
    if vector is None:
        raise Unsupported(f"sparse index vector type {kind}")
    parsed = vector()
    parsed.Init(table.Bytes, table.Pos)
    return parsed.ValuesAsNumpy().astype(np.int64)


def densify(values, shape, sparsity):
    """TFLite's sparse storage (dense or CSR per dimension, in traversal order) to a dense array."""
    order = sparsity.TraversalOrderAsNumpy()
    if list(order) != list(range(len(shape))) or sparsity.BlockMapLength() != 0:
        raise Unsupported("block-sparse or reordered sparse tensors")
    dense = np.zeros(shape, dtype=values.dtype)
    # Walk the dimensions; `positions` are the flat positions reached so far in the sparse tree,
    # `coordinates` the dense coordinates they stand for.
    positions = [0]
    coordinates = [()]
    for level in range(len(shape)):
        dim = sparsity.DimMetadata(level)
        next_positions, next_coordinates = [], []
        if dim.Format() == tflite.DimensionType.DENSE:
            size = dim.DenseSize()
            for position, coordinate in zip(positions, coordinates):
                for i in range(size):
                    next_positions.append(position * size + i)
                    next_coordinates.append(coordinate + (i,))
        else:
            segments = sparse_index_vector(dim, "segments")
            indices = sparse_index_vector(dim, "indices")
            for position, coordinate in zip(positions, coordinates):
                for k in range(segments[position], segments[position + 1]):
                    next_positions.append(k)
                    next_coordinates.append(coordinate + (int(indices[k]),))
        positions, coordinates = next_positions, next_coordinates
    if len(coordinates) != values.size:
        raise Unsupported("sparse tensor whose stored values do not match its index")
    for value, coordinate in zip(values.reshape(-1), coordinates):
        dense[coordinate] = value
    return dense


class Converter:
    def __init__(self, model_bytes):
        self.model = tflite.Model.GetRootAsModel(model_bytes, 0)
        if self.model.SubgraphsLength() != 1:
            raise Unsupported("models with more than one subgraph")
        self.graph = self.model.Subgraphs(0)
        self.constants = {}  # tensor index -> numpy array (TFLite layout)
        self.names = {}  # tensor index -> ONNX value name
        self.nchw = set()  # tensor indices whose ONNX value is NCHW
        self.nodes = []
        self.initializers = []
        self.counter = 0

    # --- tensors -------------------------------------------------------------------------------
    def tensor(self, index):
        return self.graph.Tensors(index)

    def shape(self, index):
        t = self.tensor(index)
        return [int(d) for d in t.ShapeAsNumpy()] if t.ShapeLength() else []

    def stored_constant(self, index):
        t = self.tensor(index)
        buffer = self.model.Buffers(t.Buffer())
        if buffer is None or buffer.DataLength() == 0:
            return None
        dtype = TENSOR_TYPES.get(t.Type())
        if dtype is None:
            raise Unsupported(f"constant of TFLite type {t.Type()}")
        raw = buffer.DataAsNumpy().tobytes()
        values = np.frombuffer(raw, dtype=dtype)
        if t.Sparsity() is not None:
            return ("sparse", values)
        return values.reshape(self.shape(index))

    def fresh(self, stem):
        self.counter += 1
        return f"{stem}_{self.counter}"

    def initializer(self, array, stem):
        name = self.fresh(stem)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        return name

    def value(self, index):
        if index in self.names:
            return self.names[index]
        if index in self.constants:
            return self.initializer(self.constants[index], "const")
        raise Unsupported(f"tensor {self.tensor(index).Name().decode()} used before it is made")

    def node(self, op_type, inputs, stem, **attributes):
        output = self.fresh(stem)
        self.nodes.append(helper.make_node(op_type, inputs, [output], **attributes))
        return output

    # --- activations ---------------------------------------------------------------------------
    def activate(self, name, activation):
        if activation == ACTIVATION_NONE:
            return name
        if activation == ACTIVATION_RELU6:
            low = self.initializer(np.array(0.0, np.float32), "zero")
            high = self.initializer(np.array(6.0, np.float32), "six")
            return self.node("Clip", [name, low, high], "relu6")
        raise Unsupported(f"fused activation {activation}")

    # --- conversion ----------------------------------------------------------------------------
    def convert(self):
        g = self.graph
        inputs = [g.Inputs(i) for i in range(g.InputsLength())]
        outputs = [g.Outputs(i) for i in range(g.OutputsLength())]
        onnx_inputs = []
        for index in inputs:
            name = self.tensor(index).Name().decode()
            shape = self.shape(index)
            onnx_inputs.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, shape))
            if len(shape) == 4:
                self.names[index] = self.node("Transpose", [name], "to_nchw", perm=[0, 3, 1, 2])
                self.nchw.add(index)
            else:
                self.names[index] = name
        for index in range(g.TensorsLength()):
            stored = self.stored_constant(index)
            if stored is not None:
                self.constants[index] = stored
        for k in range(g.OperatorsLength()):
            op = g.Operators(k)
            code = self.model.OperatorCodes(op.OpcodeIndex())
            name = OPERATOR_NAMES.get(max(code.BuiltinCode(), code.DeprecatedBuiltinCode()))
            handler = getattr(self, f"op_{(name or '').lower()}", None)
            if handler is None:
                raise Unsupported(f"operator {name}")
            handler(op)
        onnx_outputs = []
        for index in outputs:
            name = self.tensor(index).Name().decode()
            value = self.names[index]
            if index in self.nchw:
                value = self.node("Transpose", [value], "to_nhwc", perm=[0, 2, 3, 1])
            self.nodes.append(helper.make_node("Identity", [value], [name]))
            onnx_outputs.append(
                helper.make_tensor_value_info(name, TensorProto.FLOAT, self.shape(index))
            )
        graph = helper.make_graph(
            self.nodes, "pose_detection", onnx_inputs, onnx_outputs, self.initializers
        )
        model = helper.make_model(
            graph,
            opset_imports=[helper.make_operatorsetid("", OPSET)],
            producer_name="vitrine tflite_to_onnx",
        )
        model.ir_version = 8
        onnx.checker.check_model(model)
        return model

    def inputs(self, op):
        return [op.Inputs(i) for i in range(op.InputsLength())]

    def output(self, op):
        return op.Outputs(0)

    def op_densify(self, op):
        (source,) = self.inputs(op)
        stored = self.constants.get(source)
        if not (isinstance(stored, tuple) and stored[0] == "sparse"):
            raise Unsupported("DENSIFY of a tensor that is not a stored sparse constant")
        dense = densify(stored[1], self.shape(source), self.tensor(source).Sparsity())
        self.constants[self.output(op)] = dense

    def op_dequantize(self, op):
        (source,) = self.inputs(op)
        stored = self.constants.get(source)
        if stored is None or isinstance(stored, tuple):
            raise Unsupported("DEQUANTIZE of a tensor that is not a dense constant")
        if self.tensor(source).Quantization() is not None and stored.dtype != np.float16:
            raise Unsupported("DEQUANTIZE of integer-quantised weights")
        self.constants[self.output(op)] = stored.astype(np.float32)

    def convolution(self, op, depthwise):
        source, weights, *rest = self.inputs(op)
        bias = rest[0] if rest and rest[0] >= 0 else None
        if source not in self.nchw:
            raise Unsupported("convolution of a tensor that is not 4-D")
        kernel = self.constants.get(weights)
        if kernel is None or isinstance(kernel, tuple):
            raise Unsupported("convolution with computed weights")
        if depthwise:
            o = options(op, tflite.DepthwiseConv2DOptions)
            channels = self.shape(source)[3]
            # [1, H, W, C*M] -> [C*M, 1, H, W], one group per input channel.
            onnx_kernel = kernel.transpose(3, 0, 1, 2)
            group = channels
        else:
            o = options(op, tflite.Conv2DOptions)
            # [O, H, W, I] -> [O, I, H, W]
            onnx_kernel = kernel.transpose(0, 3, 1, 2)
            group = 1
        stride = [o.StrideH(), o.StrideW()]
        dilation = [o.DilationHFactor(), o.DilationWFactor()]
        in_h, in_w = self.shape(source)[1:3]
        k_h, k_w = kernel.shape[1:3]
        pads = [0, 0, 0, 0]
        if o.Padding() == PADDING_SAME:
            for axis, (size, k) in enumerate(((in_h, k_h), (in_w, k_w))):
                out = -(-size // stride[axis])
                total = max((out - 1) * stride[axis] + (k - 1) * dilation[axis] + 1 - size, 0)
                pads[axis] = total // 2
                pads[axis + 2] = total - total // 2
        inputs = [self.names[source], self.initializer(onnx_kernel.astype(np.float32), "kernel")]
        if bias is not None:
            inputs.append(self.value(bias))
        result = self.node(
            "Conv",
            inputs,
            "conv",
            kernel_shape=[k_h, k_w],
            strides=stride,
            dilations=dilation,
            pads=pads,
            group=group,
        )
        self.names[self.output(op)] = self.activate(result, o.FusedActivationFunction())
        self.nchw.add(self.output(op))

    def op_conv_2d(self, op):
        self.convolution(op, depthwise=False)

    def op_depthwise_conv_2d(self, op):
        self.convolution(op, depthwise=True)

    def op_pad(self, op):
        source, paddings = self.inputs(op)
        amounts = self.constants.get(paddings)
        if source not in self.nchw or amounts is None:
            raise Unsupported("PAD of a tensor that is not 4-D, or with computed paddings")
        nchw = amounts[[0, 3, 1, 2]]
        pads = self.initializer(
            np.concatenate([nchw[:, 0], nchw[:, 1]]).astype(np.int64), "pads"
        )
        self.names[self.output(op)] = self.node("Pad", [self.names[source], pads], "pad")
        self.nchw.add(self.output(op))

    def op_add(self, op):
        a, b = self.inputs(op)
        if (a in self.nchw) != (b in self.nchw) or a not in self.names or b not in self.names:
            raise Unsupported("ADD of tensors in different layouts, or of constants")
        o = options(op, tflite.AddOptions)
        result = self.node("Add", [self.names[a], self.names[b]], "add")
        self.names[self.output(op)] = self.activate(result, o.FusedActivationFunction())
        if a in self.nchw:
            self.nchw.add(self.output(op))

    def op_depth_to_space(self, op):
        (source,) = self.inputs(op)
        o = options(op, tflite.DepthToSpaceOptions)
        # TensorFlow's channel order is ONNX's "DCR" mode.
        self.names[self.output(op)] = self.node(
            "DepthToSpace", [self.names[source]], "d2s", blocksize=o.BlockSize(), mode="DCR"
        )
        self.nchw.add(self.output(op))

    def op_resize_bilinear(self, op):
        source, _size = self.inputs(op)
        o = options(op, tflite.ResizeBilinearOptions)
        if o.AlignCorners():
            mode = "align_corners"
        elif o.HalfPixelCenters():
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        n, h, w, c = self.shape(self.output(op))
        sizes = self.initializer(np.array([n, c, h, w], np.int64), "sizes")
        self.names[self.output(op)] = self.node(
            "Resize",
            [self.names[source], "", "", sizes],
            "resize",
            mode="linear",
            coordinate_transformation_mode=mode,
        )
        self.nchw.add(self.output(op))

    def op_reshape(self, op):
        source = self.inputs(op)[0]
        value = self.names[source]
        if source in self.nchw:
            value = self.node("Transpose", [value], "to_nhwc", perm=[0, 2, 3, 1])
        shape = self.initializer(np.array(self.shape(self.output(op)), np.int64), "shape")
        self.names[self.output(op)] = self.node("Reshape", [value, shape], "reshape")

    def op_concatenation(self, op):
        sources = self.inputs(op)
        o = options(op, tflite.ConcatenationOptions)
        if any(s in self.nchw for s in sources) or o.FusedActivationFunction() != ACTIVATION_NONE:
            raise Unsupported("CONCATENATION of 4-D tensors or with an activation")
        self.names[self.output(op)] = self.node(
            "Concat", [self.names[s] for s in sources], "concat", axis=o.Axis()
        )


def write_reference(tflite_path, directory):
    """Run the original file in LiteRT on fixed inputs; write inputs and outputs as raw f32."""
    from ai_edge_litert.interpreter import Interpreter

    interpreter = Interpreter(model_path=tflite_path)
    interpreter.allocate_tensors()
    (input_detail,) = interpreter.get_input_details()
    shape = input_detail["shape"]
    rng = np.random.default_rng(20261124)
    height, width = int(shape[1]), int(shape[2])
    ys, xs = np.meshgrid(np.linspace(-1, 1, height), np.linspace(-1, 1, width), indexing="ij")
    cases = {
        "noise": rng.uniform(-1.0, 1.0, size=shape),
        "gradient": np.stack([xs, ys, xs * ys], axis=-1)[None, ...],
    }
    os.makedirs(directory, exist_ok=True)
    index = {}
    for case, tensor in cases.items():
        tensor = tensor.astype(np.float32)
        interpreter.set_tensor(input_detail["index"], tensor)
        interpreter.invoke()
        files = {"input": f"{case}.input.f32"}
        tensor.astype("<f4").tofile(os.path.join(directory, files["input"]))
        for output in interpreter.get_output_details():
            result = interpreter.get_tensor(output["index"]).astype("<f4")
            file_name = f"{case}.{output['name']}.f32"
            result.tofile(os.path.join(directory, file_name))
            files[output["name"]] = file_name
        index[case] = files
    with open(os.path.join(directory, "index.json"), "w") as out:
        json.dump(index, out, indent=2, sort_keys=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tflite")
    parser.add_argument("onnx")
    parser.add_argument("--reference", help="directory for LiteRT reference inputs and outputs")
    args = parser.parse_args()
    with open(args.tflite, "rb") as f:
        model_bytes = f.read()
    try:
        model = Converter(model_bytes).convert()
    except Unsupported as error:
        sys.exit(f"{args.tflite}: cannot convert: {error}")
    temporary = args.onnx + ".partial"
    onnx.save(model, temporary)
    os.replace(temporary, args.onnx)
    if args.reference:
        write_reference(args.tflite, args.reference)


if __name__ == "__main__":
    main()
