"""Building blocks for tools/make_standin_models.py (see its docstring).

Three parts, all numpy + onnx 1.12 only (run with /usr/bin/python3):

* GraphBuilder: collects nodes and *initializer specs* (name, dtype, shape and
  how to fill it: normal(mean, std), uniform(lo, hi) or fixed values).  Random
  weights are not drawn while the graph is built, so a graph can be counted
  and checked without ever holding its weights (--report-only).
* count_graph(): walks the finished GraphProto node by node with its own
  shape bookkeeping (static shapes only; the caller gives concrete input
  shapes) and counts parameters and multiply-adds (MACs).  check_skeleton()
  cross-checks every static shape against onnx's shape inference.
* write_model(): streams the canonical protobuf encoding of the model to a
  file, drawing one initializer at a time from a seeded numpy Generator, so
  the biggest model (~554 MB) never exists twice in memory.  The bytes equal
  ModelProto.SerializeToString() of the same model (selftest_encoding()).
"""

import hashlib
import json

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32 = TensorProto.FLOAT
I64 = TensorProto.INT64
_NP_OF = {F32: np.float32, I64: np.int64}


# ---------------------------------------------------------------- specs

class InitSpec:
    """One initializer: what it holds, not (yet) its bytes.

    kind "weight": a trained parameter of the real model (counted as params).
    kind "const": a fixed, non-trained float tensor (epsilon, Resize scales,
    GFPGAN's baked noise maps) - counted separately as constants.
    int64 tensors (pads, shapes, axes, indices) are graph plumbing and are
    counted as neither.
    dist: ("normal", mean, std), ("uniform", lo, hi) or ("value", ndarray).
    """

    __slots__ = ("name", "dtype", "shape", "dist", "kind")

    def __init__(self, name, dtype, shape, dist, kind):
        self.name = name
        self.dtype = dtype
        self.shape = tuple(int(d) for d in shape)
        self.dist = dist
        self.kind = kind

    @property
    def size(self):
        return int(np.prod(self.shape, dtype=np.int64))

    @property
    def nbytes(self):
        return self.size * np.dtype(_NP_OF[self.dtype]).itemsize

    def value(self):
        """The fixed array of a ("value", ...) spec, else None."""
        return self.dist[1] if self.dist[0] == "value" else None

    def draw(self, rng):
        """The tensor's data; random specs consume `rng` in a fixed way."""
        kind = self.dist[0]
        if kind == "value":
            return np.array(self.dist[1], dtype=_NP_OF[self.dtype], order="C")
        if kind == "normal":
            _, mean, std = self.dist
            arr = rng.standard_normal(self.shape, dtype=np.float32)
            arr *= np.float32(std)
            if mean != 0.0:
                arr += np.float32(mean)
            return arr
        if kind == "uniform":
            _, lo, hi = self.dist
            arr = rng.random(self.shape, dtype=np.float32)
            arr *= np.float32(hi - lo)
            arr += np.float32(lo)
            return arr
        raise ValueError("unknown dist %r" % (kind,))

    def fingerprint(self):
        """JSON-able description; fixed values are hashed."""
        if self.dist[0] == "value":
            arr = np.array(self.dist[1], dtype=_NP_OF[self.dtype], order="C")
            dist = ["value", hashlib.sha256(arr.tobytes()).hexdigest()]
        else:
            dist = [self.dist[0]] + [repr(float(v)) for v in self.dist[1:]]
        return [self.name, int(self.dtype), list(self.shape), dist, self.kind]


# ---------------------------------------------------------------- builder

class GraphBuilder:
    """Nodes + initializer specs of one model; layer helpers on top."""

    def __init__(self, graph_name):
        self.graph_name = graph_name
        self.nodes = []
        self.specs = []
        self._spec_names = set()
        self._counts = {}
        self._shared = {}

    # ---- names
    def fresh(self, prefix):
        n = self._counts.get(prefix, 0)
        self._counts[prefix] = n + 1
        return "%s_%d" % (prefix, n)

    # ---- initializers
    def _add_spec(self, spec):
        if spec.name in self._spec_names:
            raise ValueError("duplicate initializer " + spec.name)
        self._spec_names.add(spec.name)
        self.specs.append(spec)
        return spec.name

    def normal(self, name, shape, std, mean=0.0, kind="weight"):
        return self._add_spec(InitSpec(name, F32, shape, ("normal", float(mean), float(std)), kind))

    def uniform(self, name, shape, lo, hi, kind="weight"):
        return self._add_spec(InitSpec(name, F32, shape, ("uniform", float(lo), float(hi)), kind))

    def f32(self, name, values, kind="const", shape=None):
        arr = np.asarray(values, dtype=np.float32)
        if shape is not None:
            arr = arr.reshape(shape)
        return self._add_spec(InitSpec(name, F32, arr.shape, ("value", arr), kind))

    def i64(self, values, name=None):
        arr = np.asarray(values, dtype=np.int64)
        key = ("i64", arr.shape, arr.tobytes())
        if name is None and key in self._shared:
            return self._shared[key]
        name = name or self.fresh("const_i64")
        self._add_spec(InitSpec(name, I64, arr.shape, ("value", arr), "const"))
        self._shared[key] = name
        return name

    def scalar(self, value, name=None):
        """Shared float32 scalar constant (shape [])."""
        key = ("f32s", float(np.float32(value)))
        if key in self._shared:
            return self._shared[key]
        name = name or self.fresh("const_f32")
        self.f32(name, np.float32(value), kind="const", shape=())
        self._shared[key] = name
        return name

    def fconst(self, values):
        """Shared small float32 constant (Resize scales etc.)."""
        arr = np.asarray(values, dtype=np.float32)
        key = ("f32", arr.shape, arr.tobytes())
        if key in self._shared:
            return self._shared[key]
        name = self.fresh("const_f32")
        self.f32(name, arr, kind="const")
        self._shared[key] = name
        return name

    # ---- nodes
    def node(self, op, inputs, outputs=1, out=None, **attrs):
        """Append a node; returns its output name (or list when outputs > 1)."""
        name = self.fresh(op)
        if out is not None:
            outs = [out] if isinstance(out, str) else list(out)
        else:
            outs = [name] if outputs == 1 else ["%s_o%d" % (name, i) for i in range(outputs)]
        self.nodes.append(helper.make_node(op, list(inputs), outs, name=name, **attrs))
        return outs[0] if len(outs) == 1 else outs

    # ---- layers
    def conv(self, x, cin, cout, k, stride=1, pad=None, groups=1, bias=True, std=None,
             gain=1.0, wname=None, bias_std=0.01, bias_mean=0.0, out=None):
        """Conv2d; default weight scale He-normal (sqrt(2 / fan_in)) times gain."""
        if pad is None:
            pad = k // 2
        fan_in = cin // groups * k * k
        if std is None:
            std = gain * (2.0 / fan_in) ** 0.5
        wname = wname or self.fresh("conv_w")
        w = self.normal(wname, (cout, cin // groups, k, k), std)
        ins = [x, w]
        if bias:
            ins.append(self.normal(wname + "_bias", (cout,), bias_std, mean=bias_mean))
        return self.node("Conv", ins, out=out, kernel_shape=[k, k], strides=[stride, stride],
                         pads=[pad, pad, pad, pad], dilations=[1, 1], group=groups)

    def gemm(self, x, k, n, std=None, bias=True, wname=None, bias_std=0.01, bias_mean=0.0,
             out=None):
        """Linear layer as torch exports it: Gemm(x, W[n, k], b, transB=1)."""
        if std is None:
            std = (1.0 / k) ** 0.5
        wname = wname or self.fresh("fc_w")
        ins = [x, self.normal(wname, (n, k), std)]
        if bias:
            ins.append(self.normal(wname + "_bias", (n,), bias_std, mean=bias_mean))
        return self.node("Gemm", ins, out=out, alpha=1.0, beta=1.0, transB=1)

    def bn(self, x, c, eps, name=None, out=None):
        """Unfolded BatchNormalization with plausible running statistics."""
        name = name or self.fresh("bn")
        return self.node("BatchNormalization", [
            x,
            self.normal(name + "_gamma", (c,), 0.05, mean=1.0),
            self.normal(name + "_beta", (c,), 0.05),
            self.normal(name + "_mean", (c,), 0.05),
            self.uniform(name + "_var", (c,), 0.8, 1.2),
        ], out=out, epsilon=float(eps), momentum=0.9)

    def prelu(self, x, c, name=None):
        """PRelu with a [C,1,1] slope (broadcasts over NCHW)."""
        name = name or self.fresh("prelu_slope")
        return self.node("PRelu", [x, self.normal(name, (c, 1, 1), 0.02, mean=0.25)])

    def leaky(self, x, alpha=0.2, out=None):
        return self.node("LeakyRelu", [x], out=out, alpha=float(alpha))

    def relu(self, x, out=None):
        return self.node("Relu", [x], out=out)

    def pad_reflect(self, x, p):
        """Pad(reflect) with the pads in an int64 initializer (NCHW, H and W only)."""
        return self.node("Pad", [x, self.i64([0, 0, p, p, 0, 0, p, p])], mode="reflect")

    def resize_scale(self, x, scale, mode="linear"):
        """Resize by a constant factor on H and W (torch F.interpolate(scale_factor=...)).

        linear: coordinate_transformation_mode pytorch_half_pixel (torch's export of
        bilinear, align_corners=False)."""
        scales = self.fconst([1.0, 1.0, scale, scale])
        attrs = {"mode": mode}
        if mode == "linear":
            attrs["coordinate_transformation_mode"] = "pytorch_half_pixel"
        else:
            attrs.update(coordinate_transformation_mode="asymmetric", nearest_mode="floor")
        return self.node("Resize", [x, "", scales], **attrs)

    def resize_like(self, x, like):
        """Nearest Resize of x to the shape of `like` (F.interpolate(size=like.shape[2:]));
        sizes come from Shape(like) at run time, so any input size works."""
        sizes = self.node("Shape", [like])
        return self.node("Resize", [x, "", "", sizes], mode="nearest",
                         coordinate_transformation_mode="asymmetric", nearest_mode="floor")

    # ---- model assembly
    def graph(self, inputs, outputs, initializers=None, extra_inputs=()):
        return helper.make_graph(self.nodes, self.graph_name, list(inputs) + list(extra_inputs),
                                 outputs, initializer=initializers or [])


# ---------------------------------------------------------------- counting

def _conv_out(size, k, s, p0, p1, ceil=False):
    num = size + p0 + p1 - k
    return (-(-num // s) if ceil else num // s) + 1


def _broadcast(*shapes):
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))


def _attrs(node):
    return {a.name: helper.get_attribute_value(a) for a in node.attribute}


def count_graph(graph, specs, input_shapes):
    """Walk the nodes of `graph` with static shapes and count the work.

    input_shapes: {graph input name: concrete shape}.  Returns a dict with
    params (elements of float "weight" initializers), consts (elements of
    float "const" initializers), macs (Conv: N*Cout*Cin/group*kh*kw*Hout*Wout,
    dynamic weights included; Gemm/MatMul: M*N*K; everything else 0),
    macs_by_op, ops (op -> node count), nodes, shapes (value -> shape).
    Raises on an op it does not know or on inconsistent shapes.
    """
    shapes = {}
    values = {}  # statically known int64 values (constants, Shape outputs)
    params = consts = 0
    for s in specs:
        shapes[s.name] = s.shape
        if s.dtype == I64:
            values[s.name] = s.value()
        elif s.kind == "weight":
            params += s.size
        else:
            consts += s.size
            if s.value() is not None and s.size <= 64:
                values[s.name] = np.asarray(s.value())
    for name, shp in input_shapes.items():
        shapes[name] = tuple(shp)

    macs = 0
    macs_by_op = {}
    ops = {}
    for n in graph.node:
        a = _attrs(n)
        ins = [shapes[i] if i else None for i in n.input]
        op = n.op_type
        ops[op] = ops.get(op, 0) + 1
        m = 0
        if op == "Conv":
            x, w = ins[0], ins[1]
            g = a.get("group", 1)
            st = a.get("strides", [1, 1])
            p = a.get("pads", [0, 0, 0, 0])
            dil = a.get("dilations", [1, 1])
            assert dil == [1, 1] and x[1] == w[1] * g, (n.name, x, w)
            ho = _conv_out(x[2], w[2], st[0], p[0], p[2])
            wo = _conv_out(x[3], w[3], st[1], p[1], p[3])
            out = [(x[0], w[0], ho, wo)]
            m = x[0] * w[0] * w[1] * w[2] * w[3] * ho * wo
        elif op == "Gemm":
            A, B = ins[0], ins[1]
            Mdim, K = (A[1], A[0]) if a.get("transA", 0) else A
            K2, Ndim = (B[1], B[0]) if a.get("transB", 0) else B
            assert K == K2, (n.name, A, B)
            out = [(Mdim, Ndim)]
            m = Mdim * Ndim * K
        elif op == "MatMul":
            A, B = ins[0], ins[1]
            assert A[-1] == B[-2]
            out = [_broadcast(A[:-2], B[:-2]) + (A[-2], B[-1])]
            m = int(np.prod(out[0])) * A[-1]
        elif op in ("MaxPool", "AveragePool"):
            x = ins[0]
            k = a["kernel_shape"]
            st = a.get("strides", [1, 1])
            p = a.get("pads", [0, 0, 0, 0])
            ceil = bool(a.get("ceil_mode", 0))
            out = [(x[0], x[1], _conv_out(x[2], k[0], st[0], p[0], p[2], ceil),
                    _conv_out(x[3], k[1], st[1], p[1], p[3], ceil))]
        elif op == "Pad":
            pads = values[n.input[1]]
            r = len(ins[0])
            out = [tuple(d + int(pads[i]) + int(pads[i + r]) for i, d in enumerate(ins[0]))]
        elif op in ("Relu", "LeakyRelu", "Tanh", "Sigmoid", "Sqrt", "BatchNormalization",
                    "Identity", "Cast"):
            out = [ins[0]]
        elif op in ("Add", "Sub", "Mul", "Div", "Pow", "PRelu"):
            out = [_broadcast(*ins)]
        elif op in ("ReduceMean", "ReduceSum"):
            axes = a["axes"] if op == "ReduceMean" else [int(v) for v in values[n.input[1]]]
            r = len(ins[0])
            axes = {ax % r for ax in axes}
            keep = a.get("keepdims", 1)
            out = [tuple((1 if i in axes else d) for i, d in enumerate(ins[0])
                         if keep or i not in axes)]
        elif op == "Reshape":
            tgt = [int(v) for v in values[n.input[1]]]
            src = ins[0]
            tgt = [src[i] if v == 0 else v for i, v in enumerate(tgt)]
            total = int(np.prod(src))
            if -1 in tgt:
                known = int(np.prod([v for v in tgt if v != -1]))
                tgt[tgt.index(-1)] = total // known
            assert int(np.prod(tgt)) == total, (n.name, src, tgt)
            out = [tuple(tgt)]
        elif op == "Flatten":
            ax = a.get("axis", 1)
            out = [(int(np.prod(ins[0][:ax])), int(np.prod(ins[0][ax:])))]
        elif op == "Transpose":
            out = [tuple(ins[0][p] for p in a["perm"])]
        elif op == "Slice":
            x = list(ins[0])
            st, en = values[n.input[1]], values[n.input[2]]
            axes = values[n.input[3]] if len(n.input) > 3 else range(len(st))
            for s0, e0, ax in zip(st, en, axes):
                d = x[ax]
                s0 = max(0, min(d, s0 + d if s0 < 0 else s0))
                e0 = max(0, min(d, e0 + d if e0 < 0 else e0))
                x[ax] = max(0, e0 - s0)
            out = [tuple(x)]
        elif op == "Gather":
            ax = a.get("axis", 0)
            x = ins[0]
            out = [tuple(x[:ax]) + tuple(ins[1]) + tuple(x[ax + 1:])]
        elif op == "Split":
            ax = a.get("axis", 0)
            parts = [int(v) for v in values[n.input[1]]]
            assert sum(parts) == ins[0][ax]
            out = [tuple(ins[0][:ax]) + (p,) + tuple(ins[0][ax + 1:]) for p in parts]
        elif op == "Concat":
            ax = a["axis"]
            base = list(ins[0])
            base[ax] = sum(s[ax] for s in ins)
            out = [tuple(base)]
        elif op == "Shape":
            out = [(len(ins[0]),)]
            values[n.output[0]] = np.asarray(ins[0], dtype=np.int64)
        elif op == "Resize":
            x = ins[0]
            if len(n.input) > 3 and n.input[3]:
                out = [tuple(int(v) for v in values[n.input[3]])]
            else:
                sc = values[n.input[2]]
                out = [tuple(int(np.floor(d * float(s))) for d, s in zip(x, sc))]
        else:
            raise ValueError("count_graph: no rule for op " + op)
        assert len(out) == len(n.output), n.name
        for o, s in zip(n.output, out):
            shapes[o] = tuple(int(d) for d in s)
        if m:
            macs += m
            macs_by_op[op] = macs_by_op.get(op, 0) + m
    for o in graph.output:
        if o.name not in shapes:
            raise ValueError("graph output %s is not produced" % o.name)
    return {"params": params, "consts": consts, "macs": macs, "macs_by_op": macs_by_op,
            "ops": ops, "nodes": len(graph.node), "shapes": shapes}


# ---------------------------------------------------------------- checking

def skeleton_model(builder, inputs, outputs, model_kwargs, concrete=None):
    """The model without weight data: float specs bigger than 64 elements become
    graph inputs of the same name/shape; small and int64 constants stay
    initializers (shape inference needs their values).  `concrete` replaces
    the declared input shapes (e.g. det_10g at 640x640)."""
    inits, extra = [], []
    for s in builder.specs:
        if s.dtype == I64 or s.size <= 64:
            inits.append(numpy_helper.from_array(s.draw(None) if s.dist[0] == "value"
                                                 else np.zeros(s.shape, np.float32), s.name))
        else:
            extra.append(helper.make_tensor_value_info(s.name, s.dtype, list(s.shape)))
    if concrete:
        inputs = [helper.make_tensor_value_info(i.name, i.type.tensor_type.elem_type,
                                                list(concrete[i.name])) for i in inputs]
    graph = builder.graph(inputs, outputs, inits, extra_inputs=extra)
    return make_model(graph, **model_kwargs)


def check_skeleton(builder, inputs, outputs, model_kwargs, concrete, counted_shapes):
    """onnx.checker on the skeleton, then strict shape inference at concrete input
    shapes; every fully static inferred shape must equal count_graph's."""
    sk = skeleton_model(builder, inputs, outputs, model_kwargs)
    onnx.checker.check_model(sk)
    sk = skeleton_model(builder, inputs, outputs, model_kwargs, concrete)
    inferred = onnx.shape_inference.infer_shapes(sk, check_type=True, strict_mode=True,
                                                 data_prop=True)
    compared = 0
    for vi in list(inferred.graph.value_info) + list(inferred.graph.output):
        dims = vi.type.tensor_type.shape.dim
        if not vi.type.tensor_type.HasField("shape") or any(not d.HasField("dim_value")
                                                             for d in dims):
            continue
        got = tuple(d.dim_value for d in dims)
        if counted_shapes.get(vi.name) != got:
            raise AssertionError("shape of %s: onnx infers %s, counted %s"
                                 % (vi.name, got, counted_shapes.get(vi.name)))
        compared += 1
    return compared


# ---------------------------------------------------------------- writing

def make_model(graph, ir_version, opset, producer_name, producer_version, doc_string):
    model = helper.make_model(graph, producer_name=producer_name,
                              producer_version=producer_version, doc_string=doc_string,
                              opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = ir_version
    return model


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


_TAG_GRAPH = b"\x3a"        # ModelProto.graph = 7, length-delimited
_TAG_INITIALIZER = b"\x2a"  # GraphProto.initializer = 5
_TAG_RAW_DATA = b"\x4a"     # TensorProto.raw_data = 9


def _encoded_pieces(builder, inputs, outputs, model_kwargs):
    """Everything but the initializer data, in canonical order.

    Protobuf serializes fields by number: ModelProto 1..6 | graph (7) | 8..;
    GraphProto node (1), name (2) | initializer (5) | doc (10), input (11),
    output (12); TensorProto dims (1), data_type (2), name (8) | raw_data (9)."""
    empty_graph = helper.make_graph([], "", [], [])
    whole = make_model(empty_graph, **model_kwargs)
    whole.ClearField("graph")
    model_head = onnx.ModelProto()
    model_tail = onnx.ModelProto()
    for fd, val in whole.ListFields():
        (model_head if fd.number < 7 else model_tail).MergeFrom(
            _single_field(onnx.ModelProto, fd, val))
    g_head = onnx.GraphProto()
    g_head.node.extend(builder.nodes)
    g_head.name = builder.graph_name
    g_tail = onnx.GraphProto()
    g_tail.input.extend(inputs)
    g_tail.output.extend(outputs)
    headers = []
    for s in builder.specs:
        t = onnx.TensorProto()
        t.dims.extend(s.shape)
        t.data_type = s.dtype
        t.name = s.name
        th = t.SerializeToString() + _TAG_RAW_DATA + _varint(s.nbytes)
        headers.append(_TAG_INITIALIZER + _varint(len(th) + s.nbytes) + th)
    return (model_head.SerializeToString(), g_head.SerializeToString(), headers,
            g_tail.SerializeToString(), model_tail.SerializeToString())


def _single_field(cls, fd, val):
    m = cls()
    if fd.label == fd.LABEL_REPEATED:
        getattr(m, fd.name).extend(val)
    elif fd.type == fd.TYPE_MESSAGE:
        getattr(m, fd.name).CopyFrom(val)
    else:
        setattr(m, fd.name, val)
    return m


def iter_model_bytes(builder, inputs, outputs, model_kwargs, seed):
    """Yield the model's canonical encoding piece by piece, drawing each
    initializer from numpy.random.default_rng(seed) in initializer order."""
    m_head, g_head, headers, g_tail, m_tail = _encoded_pieces(builder, inputs, outputs,
                                                              model_kwargs)
    graph_len = len(g_head) + len(g_tail) + sum(len(h) + s.nbytes
                                                for h, s in zip(headers, builder.specs))
    yield m_head + _TAG_GRAPH + _varint(graph_len) + g_head
    rng = np.random.default_rng(seed)
    for h, s in zip(headers, builder.specs):
        yield h
        arr = s.draw(rng)
        assert arr.shape == s.shape and arr.nbytes == s.nbytes, s.name
        if s.dtype == F32 and not np.isfinite(arr).all():
            raise ValueError("non-finite values in " + s.name)
        yield memoryview(arr.reshape(-1)).cast("B")
        del arr
    yield g_tail + m_tail


def full_model(builder, inputs, outputs, model_kwargs, seed):
    """The same model as an in-memory ModelProto (small models / self-test only)."""
    rng = np.random.default_rng(seed)
    inits = [numpy_helper.from_array(s.draw(rng), s.name) for s in builder.specs]
    return make_model(builder.graph(inputs, outputs, inits), **model_kwargs)


def selftest_encoding():
    """The streamed encoding must equal protobuf's own serialization."""
    b = GraphBuilder("selftest")
    x = b.conv("x", 3, 4, 3, wname="w")
    y = b.pad_reflect(x, 1)
    b.node("Add", [y, b.scalar(0.5)], out="y")
    b.normal("last", (2, 3), 1.0)
    inputs = [helper.make_tensor_value_info("x", F32, [1, 3, "h", 8])]
    outputs = [helper.make_tensor_value_info("y", F32, [1, 4, None, 10])]
    kw = dict(ir_version=8, opset=13, producer_name="p", producer_version="1",
              doc_string="d" * 300)
    streamed = b"".join(bytes(p) for p in iter_model_bytes(b, inputs, outputs, kw, 7))
    ref = full_model(b, inputs, outputs, kw, 7).SerializeToString()
    if streamed != ref:
        raise AssertionError("streamed protobuf encoding differs from SerializeToString")


def spec_fingerprint(builder, inputs, outputs, model_kwargs, seed, extra):
    """Hash of everything that determines the file's bytes (except numpy's RNG)."""
    h = hashlib.sha256()
    for piece in _encoded_pieces(builder, inputs, outputs, model_kwargs):
        if isinstance(piece, list):
            for p in piece:
                h.update(p)
        else:
            h.update(piece)
    h.update(json.dumps([seed, extra, [s.fingerprint() for s in builder.specs]],
                        sort_keys=True).encode())
    return h.hexdigest()
