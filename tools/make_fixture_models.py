#!/usr/bin/python3
"""Generate tiny ONNX fixture models for the dlc C++ tests.

Usage:  /usr/bin/python3 tools/make_fixture_models.py OUT_DIR

Requires Debian's python3-onnx (onnx 1.12) and python3-numpy; run it with
/usr/bin/python3.  Writes the models below into OUT_DIR (created if missing); each
is written under a temporary name in OUT_DIR and renamed once complete.  One
line "NAME SIZE" is printed per file.  Output is deterministic: two runs give
byte-identical files (no randomness; producer_name "dlc-fixtures",
ir_version 8, opset 13).

Every model has exactly the input/output signature (names, order, shapes,
float32 element type) of the real insightface / GFPGAN model it stands in
for, but its weights are chosen so that its outputs are predictable.  All
values below are float32; "float32(v)" means v computed in double precision
and rounded to float32.  Sums/means are evaluated by the runtime in float32,
so compare with a small tolerance (about 1e-6 relative) except where a
result is marked EXACT.

det_10g.onnx  (SCRFD-10GF face detector)
    input  "input.1"  [1,3,H,W]  (H, W symbolic: "height", "width")
    outputs, in this order (2-D, no batch dim), for strides s = 8, 16, 32:
        "448","471","494"  scores [N_s,1]
        "451","474","497"  bbox   [N_s,4]
        "454","477","500"  kps    [N_s,10]
    with h = floor(H/s), w = floor(W/s), N_s = h*w*2.  Row r = (y*w + x)*2 + a
    is anchor a (0 or 1) of grid cell (x, y); cells in row-major order, the
    two anchors of a cell adjacent.
        score[r, 0] = sigmoid(4 * m(x, y)), where m(x, y) is the mean of the
            3*s*s input values input[0, c, y*s + i, x*s + j] (c < 3,
            0 <= i, j < s).  Computed as AveragePool(s×s, stride s) per
            channel, then sum over c of pooled_c * float32(4/3).
            (Whole-image constant input v gives sigmoid(4v) everywhere.)
        bbox[r, :]  = [1, 1, 2, 2] for every row (distances left, top, right,
            bottom in stride units).  EXACT for finite input.
        kps[r, :]   = [0, 0, 1, 0, 0.5, 0.5, 0, 1, 1, 1] for every row (x, y
            offsets of the 5 points in stride units).  EXACT for finite input.
    With the standard SCRFD decoding (anchor centre (cx, cy) = (x*s, y*s),
    predictions multiplied by s) every anchor yields the box
    (cx - s, cy - s, cx + 2s, cy + 2s) and the 5 points (cx, cy),
    (cx + s, cy), (cx + s/2, cy + s/2), (cx, cy + s), (cx + s, cy + s).

w600k_r50.onnx  (ArcFace recognizer)
    input  "input.1"  [N,3,112,112]  (N symbolic: "batch")
    output "683"      [N,512]
        out[n, k] = mean_c(n) * (1 + k/512),  k = 0..511,  c = k % 3,
        where mean_c(n) is the mean of the 112*112 values of channel c of
        image n.  (1 + k/512 is exact in float32.)  Computed as
        GlobalAveragePool -> Flatten -> Gemm(W [512,3], transB=1,
        W[k, c] = 1 + k/512 if c == k % 3 else 0, bias 0).

2d106det.onnx  (106-point landmark model)
    input  "data"  [1,3,192,192]
    output "fc1"   [1,212]
        Independent of the input: out[0, 2k] = float32(0.5*cos(2*pi*k/106)),
        out[0, 2k+1] = float32(0.5*sin(2*pi*k/106)), k = 0..105 (interleaved
        x0, y0, x1, y1, ...).  Computed as GlobalAveragePool -> Flatten ->
        Gemm(zero W [212,3], transB=1, bias = those values), so the input is
        still consumed.  EXACT for finite input.

inswapper_128.onnx  (face swapper)
    inputs "target" [1,3,128,128], "source" [1,512]   (in this order)
    output "output" [1,3,128,128]
        output[0, c] = Clip((1 - target[0, c]) + shift[c], 0, 1) elementwise,
        shift[c] = |sum_k source[0, k] * W[k, c]|, W [512,3],
        W[k, c] = (((7*k + 3*c) % 13) - 6) / 32 (exact in float32; every k has
        a non-zero weight in at least two channels, so the output depends on
        each latent component).  Computed as MatMul -> Abs -> Reshape to
        [1,3,1,1] -> broadcast Add.  An all-black target gives 1 everywhere.
    The LAST entry of graph.initializer is "emap", float32 [512,512], used by
    no node: emap[i][j] = (((2*i + 3*j) % 11) - 5) / 8 (exact in float32 and
    float16; not symmetric, so a transposed read or emap . e instead of
    e . emap gives another latent).

GFPGANv1.4.onnx  (face enhancer)
    input  "input"   [1,3,512,512]
    output "output"  [1,3,512,512]
        output[0, c] = 0.8 * input[0, (c + 1) % 3] - 0.1 (planes R, G, B),
        a 1x1 Conv 3->3.  Not the identity, and its rows do not sum to 1, so
        feeding BGR instead of RGB, or x/255 instead of x/127.5 - 1, changes
        the pasted face: with the enhancer's x/127.5 - 1 in and (y + 1)*127.5
        out, a pixel (B, G, R) becomes (0.8R, 0.8B, 0.8G) + 12.75.
GPEN-BFR-256.onnx, GPEN-BFR-512.onnx  (GPEN face enhancers)
    input "input" [1,3,N,N], output "output" [1,3,N,N], N = 256 or 512: the
    same Conv as GFPGANv1.4.onnx.
gfpgan-1024.onnx  (GFPGAN with a 1024 output)
    input "input" [1,3,512,512], output "output" [1,3,1024,1024]: Resize x2
    (linear, half_pixel: the 1024 pixels cover the same area) then the same
    Conv as GFPGANv1.4.onnx.
inswapper_128_fp16.onnx  (the fp16 file's signature)
    As inswapper_128.onnx with float16 target, source, output and emap; the
    formula runs in float32 between Cast nodes.

hyperswap_1a_256.onnx, hyperswap_1b_256.onnx, hyperswap_1c_256.onnx  (256-pixel swappers)
    inputs "source" [1,512], "target" [1,3,256,256]   (in this order)
    outputs "output" [1,3,256,256], "mask" [1,1,256,256]
        output[0, c] = shift[c] - target[0, c], shift[c] = sum_k source[0, k] *
        W[k, c] with inswapper_128.onnx's W (signed, no Abs); with hyperswap's
        (x/255 - 0.5)/0.5 in and y*0.5 + 0.5 out a pixel value x becomes
        1 - x/255 + shift[c]/2.  mask = ReduceMean(target) over the channels
        (dlc does not use it).  The three files differ only in graph name.
simswap_256.onnx  (256-pixel swapper)
    inputs "target" [1,3,256,256], "source" [1,512]   (in this order)
    output "output" [1,3,256,256]
        output[0, c] = 1 - (target[0, c] * STD[c] + MEAN[c]) + shift[c], with
        ImageNet's MEAN (0.485, 0.456, 0.406) and STD (0.229, 0.224, 0.225)
        (RGB): with simswap's per-channel normalisation in, and no
        denormalisation out, a pixel value x becomes 1 - x/255 + shift[c]; a
        normalisation with the wrong channel order is off by up to 0.08.
crossface_simswap.onnx  (simswap's embedding converter)
    input "input" [1,512], output "output" [1,512]
        output = input . C + b, C[i][j] = (((i + 2*j) % 7) - 3) / 16,
        b[j] = ((j % 5) - 2) / 4: the bias makes the result depend on the
        raw embedding's length, not only its direction.
open_nsfw.onnx  (Yahoo open_nsfw as ONNX: FaceFusion 2.x content analyser)
    input "input" [1,224,224,3] (NHWC, BGR minus (104, 117, 123))
    output "output" [1,2]
        m = the mean of every input value; output = Softmax([0, m/4 - 5]), so
        output[0, 1] = sigmoid(m/4 - 5): above Deep-Live-Cam's 0.85 exactly
        when m > 26.94, i.e. a mean pixel value above 141.6 (a uniform grey
        200 scores 0.99999994, grey 100 scores 0.0001).

nan/inswapper_128.onnx  (inswapper_128.onnx whose output is NaN)
    As inswapper_128.onnx, the clipped output multiplied by a NaN constant.

probe/det_10g.onnx  (det_10g.onnx's signature, outputs that read one channel each)
    As det_10g.onnx's graph (AveragePool per stride, 1x1 heads), with R, G, B
    the cell means of input channels 0, 1, 2:
        stride 32: score = sigmoid(256*R - 254); with SCRFD's (v - 127.5)/128
            a cell of pixel value R = 255 scores sigmoid(1) and R <= 254 at
            most sigmoid(-1): only an all-255 channel 0 is a face.
        strides 8, 16: score = sigmoid(-100) (never a face).
        bbox[r, :] = [1, 1, 1 + G, 1 + B]; kps as det_10g.onnx.
    Decoded at stride 32, two horizontally adjacent cells give boxes of width
    32*(2 + G) whose IoU is (1 + G)/(3 + G): 0.4 at G = 1/3, i.e. between
    pixel values 170 (IoU 0.3998) and 171 (IoU 0.4012).

broken/det_10g.onnx  (det_10g.onnx with a wrong signature)
    As det_10g.onnx, except that the stride-32 keypoint output "500" is
    [n32,5] instead of [n32,10]: for the checks that must refuse a file with
    the right name and the wrong outputs.
"""

import math
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PRODUCER = "dlc-fixtures"
IR_VERSION = 8
OPSET = 13
F32 = TensorProto.FLOAT


# ---------------------------------------------------------------- helpers

def f32_init(name, values, shape=None):
    """float32 initializer from a (nested) list or numpy array."""
    arr = np.asarray(values, dtype=np.float32)
    if shape is not None:
        arr = arr.reshape(shape)
    return numpy_helper.from_array(arr, name)


def i64_init(name, values):
    """1-D int64 initializer (Reshape shapes etc.)."""
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def f32_value(name, dims):
    """float32 graph input/output; dims may mix ints and symbolic names."""
    return helper.make_tensor_value_info(name, F32, dims)


def node(op, inputs, outputs, name, **attrs):
    return helper.make_node(op, inputs, outputs, name=name, **attrs)


def build_model(graph_name, nodes, inputs, outputs, initializers, doc):
    """Assemble, check and shape-infer a model with the fixed metadata."""
    graph = helper.make_graph(nodes, graph_name, inputs, outputs,
                              initializer=initializers)
    model = helper.make_model(
        graph,
        producer_name=PRODUCER,
        opset_imports=[helper.make_opsetid("", OPSET)],
        doc_string=doc,
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    # Fails loudly if any node's inferred type/shape clashes with declarations.
    onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True)
    return model


def write_atomic(model, out_dir, file_name):
    """Write to a temporary name in out_dir, then rename; return the size."""
    final_path = os.path.join(out_dir, file_name)
    tmp_path = os.path.join(out_dir, "." + file_name + ".tmp")
    data = model.SerializeToString()
    with open(tmp_path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp_path, final_path)
    return len(data)


# ---------------------------------------------------------------- models

# Signature source: insightface buffalo_l det_10g.onnx I/O (SCRFD-10GF,
# input "input.1", outputs 448/471/494 scores, 451/474/497 bbox,
# 454/477/500 kps for strides 8/16/32, 2 anchors per cell).
DET_STRIDES = (8, 16, 32)
DET_SCORE_NAMES = ("448", "471", "494")
DET_BBOX_NAMES = ("451", "474", "497")
DET_KPS_NAMES = ("454", "477", "500")
DET_ANCHORS = 2
DET_BBOX_PER_ANCHOR = [1.0, 1.0, 2.0, 2.0]
DET_KPS_PER_ANCHOR = [0.0, 0.0, 1.0, 0.0, 0.5, 0.5, 0.0, 1.0, 1.0, 1.0]


def det_head(prefix, pooled, out_channels, weight_value, bias, flat_width,
             out_name):
    """1x1 Conv 3->out_channels, NCHW->NHWC Transpose, Reshape [-1, width].

    weight_value: one value for every weight, or an [out_channels, 3] array.
    Returns (nodes, initializers); the Reshape writes `out_name`.
    """
    w = np.broadcast_to(np.asarray(weight_value, dtype=np.float32).reshape(
        (-1, 3)[:np.ndim(weight_value)] or (1,)), (out_channels, 3))
    w = np.ascontiguousarray(w).reshape(out_channels, 3, 1, 1)
    inits = [
        f32_init(prefix + "_w", w),
        f32_init(prefix + "_b", bias),
        i64_init(prefix + "_shape", [-1, flat_width]),
    ]
    nodes = [
        node("Conv", [pooled, prefix + "_w", prefix + "_b"],
             [prefix + "_conv"], prefix + "_conv", kernel_shape=[1, 1]),
        node("Transpose", [prefix + "_conv"], [prefix + "_nhwc"],
             prefix + "_transpose", perm=[0, 2, 3, 1]),
        node("Reshape", [prefix + "_nhwc", prefix + "_shape"], [out_name],
             prefix + "_reshape"),
    ]
    return nodes, inits


def make_det_10g(kps_width_32=10):
    """kps_width_32 != 10 makes the broken variant (see BROKEN_MODELS)."""
    nodes, inits = [], []
    for s, score_name, bbox_name, kps_name in zip(
            DET_STRIDES, DET_SCORE_NAMES, DET_BBOX_NAMES, DET_KPS_NAMES):
        pooled = "pool%d" % s
        nodes.append(node("AveragePool", ["input.1"], [pooled], pooled,
                          kernel_shape=[s, s], strides=[s, s]))

        # Score: logit = 4 * channel mean of the pooled cell, then sigmoid.
        n, i = det_head("score%d" % s, pooled, DET_ANCHORS, 4.0 / 3.0,
                        [0.0] * DET_ANCHORS, 1, "score%d_logit" % s)
        nodes += n
        inits += i
        nodes.append(node("Sigmoid", ["score%d_logit" % s], [score_name],
                          "score%d_sigmoid" % s))

        n, i = det_head("bbox%d" % s, pooled, DET_ANCHORS * 4, 0.0,
                        DET_BBOX_PER_ANCHOR * DET_ANCHORS, 4, bbox_name)
        nodes += n
        inits += i

        width = kps_width_32 if s == 32 else 10
        n, i = det_head("kps%d" % s, pooled, DET_ANCHORS * width, 0.0,
                        DET_KPS_PER_ANCHOR[:width] * DET_ANCHORS, width,
                        kps_name)
        nodes += n
        inits += i

    inputs = [f32_value("input.1", [1, 3, "height", "width"])]
    outputs = (
        [f32_value(nm, ["n%d" % s, 1])
         for nm, s in zip(DET_SCORE_NAMES, DET_STRIDES)]
        + [f32_value(nm, ["n%d" % s, 4])
           for nm, s in zip(DET_BBOX_NAMES, DET_STRIDES)]
        + [f32_value(nm, ["n%d" % s, kps_width_32 if s == 32 else 10])
           for nm, s in zip(DET_KPS_NAMES, DET_STRIDES)]
    )
    return build_model("det_10g_fixture", nodes, inputs, outputs, inits,
                       "fixture with the det_10g.onnx (SCRFD-10GF) signature")


# probe/det_10g.onnx: the det_10g signature with outputs that read single input channels, so that
# the tests pin SCRFD's (x - 127.5) / 128, its RGB order and its NMS IoU (see the docstring).
PROBE_SCORE_WEIGHTS = [256.0, 0.0, 0.0]   # logit = 256 * R - 254 (R: channel 0's cell mean)
PROBE_SCORE_BIAS = -254.0
PROBE_SILENT_BIAS = -100.0                # strides 8 and 16: scores sigmoid(-100) ~ 0


def make_det_10g_probe():
    nodes, inits = [], []
    for s, score_name, bbox_name, kps_name in zip(
            DET_STRIDES, DET_SCORE_NAMES, DET_BBOX_NAMES, DET_KPS_NAMES):
        pooled = "pool%d" % s
        nodes.append(node("AveragePool", ["input.1"], [pooled], pooled,
                          kernel_shape=[s, s], strides=[s, s]))
        live = s == 32
        score_w = [PROBE_SCORE_WEIGHTS if live else [0.0, 0.0, 0.0]] * DET_ANCHORS
        score_b = [PROBE_SCORE_BIAS if live else PROBE_SILENT_BIAS] * DET_ANCHORS
        n, i = det_head("score%d" % s, pooled, DET_ANCHORS, score_w, score_b, 1,
                        "score%d_logit" % s)
        nodes += n
        inits += i
        nodes.append(node("Sigmoid", ["score%d_logit" % s], [score_name],
                          "score%d_sigmoid" % s))
        # Distances left, top, right, bottom = 1, 1, 1 + G, 1 + B.
        bbox_w = [[0, 0, 0], [0, 0, 0], [0, 1, 0], [0, 0, 1]] * DET_ANCHORS
        n, i = det_head("bbox%d" % s, pooled, DET_ANCHORS * 4, bbox_w,
                        [1.0] * 4 * DET_ANCHORS, 4, bbox_name)
        nodes += n
        inits += i
        n, i = det_head("kps%d" % s, pooled, DET_ANCHORS * 10, 0.0,
                        DET_KPS_PER_ANCHOR * DET_ANCHORS, 10, kps_name)
        nodes += n
        inits += i
    inputs = [f32_value("input.1", [1, 3, "height", "width"])]
    outputs = (
        [f32_value(nm, ["n%d" % s, 1]) for nm, s in zip(DET_SCORE_NAMES, DET_STRIDES)]
        + [f32_value(nm, ["n%d" % s, 4]) for nm, s in zip(DET_BBOX_NAMES, DET_STRIDES)]
        + [f32_value(nm, ["n%d" % s, 10]) for nm, s in zip(DET_KPS_NAMES, DET_STRIDES)]
    )
    return build_model("det_10g_probe", nodes, inputs, outputs, inits,
                       "probe with the det_10g.onnx signature: outputs read single channels")


# Signature source: insightface buffalo_l w600k_r50.onnx I/O (ArcFace R50,
# input "input.1" [N,3,112,112], output "683" [N,512]).
def make_w600k_r50():
    k = np.arange(512)
    w = np.zeros((512, 3), dtype=np.float32)
    w[k, k % 3] = 1.0 + k / 512.0
    inits = [f32_init("fc_w", w), f32_init("fc_b", np.zeros(512))]
    nodes = [
        node("GlobalAveragePool", ["input.1"], ["gap"], "gap"),
        node("Flatten", ["gap"], ["flat"], "flatten", axis=1),
        node("Gemm", ["flat", "fc_w", "fc_b"], ["683"], "fc", transB=1),
    ]
    inputs = [f32_value("input.1", ["batch", 3, 112, 112])]
    outputs = [f32_value("683", ["batch", 512])]
    return build_model("w600k_r50_fixture", nodes, inputs, outputs, inits,
                       "fixture with the w600k_r50.onnx (ArcFace) signature")


# Signature source: insightface buffalo_l 2d106det.onnx I/O (input "data"
# [1,3,192,192], output "fc1" [1,212]).
def landmark_circle(num_points=106, radius=0.5):
    """Interleaved x0, y0, x1, y1, ... of points on a circle, float32."""
    out = np.zeros(2 * num_points, dtype=np.float32)
    for k in range(num_points):
        angle = 2.0 * math.pi * k / num_points
        out[2 * k] = radius * math.cos(angle)
        out[2 * k + 1] = radius * math.sin(angle)
    return out


def make_2d106det():
    inits = [
        f32_init("fc_w", np.zeros((212, 3))),
        f32_init("fc_b", landmark_circle()),
    ]
    nodes = [
        node("GlobalAveragePool", ["data"], ["gap"], "gap"),
        node("Flatten", ["gap"], ["flat"], "flatten", axis=1),
        node("Gemm", ["flat", "fc_w", "fc_b"], ["fc1"], "fc", transB=1),
    ]
    inputs = [f32_value("data", [1, 3, 192, 192])]
    outputs = [f32_value("fc1", [1, 212])]
    return build_model("2d106det_fixture", nodes, inputs, outputs, inits,
                       "fixture with the 2d106det.onnx signature")


# Signature source: insightface inswapper_128.onnx I/O (inputs "target"
# [1,3,128,128] and "source" [1,512], output "output" [1,3,128,128]; the
# real model's last initializer is the [512,512] "emap" matrix that
# insightface reads with graph.initializer[-1]).
def make_emap():
    i = np.arange(512, dtype=np.int64).reshape(512, 1)
    j = np.arange(512, dtype=np.int64).reshape(1, 512)
    return (((2 * i + 3 * j) % 11) - 5).astype(np.float32) / np.float32(8.0)


def inswapper_weights():
    """W [512,3]: how much each latent component shifts each output plane."""
    k = np.arange(512, dtype=np.int64).reshape(512, 1)
    c = np.arange(3, dtype=np.int64).reshape(1, 3)
    return (((7 * k + 3 * c) % 13) - 6).astype(np.float32) / np.float32(32.0)


def make_inswapper_128(fp16=False, nan=False):
    """fp16=True: inswapper_128_fp16.onnx's signature (float16 inputs, output and emap), the
    same formula computed in float32 between Casts.  nan=True: the output times NaN (the
    failure dlc reports once)."""
    emap = make_emap()
    emap_init = (numpy_helper.from_array(emap.astype(np.float16), "emap") if fp16
                 else f32_init("emap", emap))
    inits = [
        f32_init("one", 1.0, shape=[]),
        f32_init("zero", 0.0, shape=[]),
        f32_init("shift_w", inswapper_weights()),
        i64_init("shift_shape", [1, 3, 1, 1]),
        emap_init,  # must stay last
    ]
    target, source, output = "target", "source", "output"
    nodes = []
    if fp16:
        nodes += [
            node("Cast", ["target"], ["target32"], "target_cast", to=TensorProto.FLOAT),
            node("Cast", ["source"], ["source32"], "source_cast", to=TensorProto.FLOAT),
        ]
        target, source, output = "target32", "source32", "output32"
    nodes += [
        node("MatMul", [source, "shift_w"], ["shift_signed"], "shift_matmul"),
        node("Abs", ["shift_signed"], ["shift_abs"], "shift_abs"),
        node("Reshape", ["shift_abs", "shift_shape"], ["shift4"],
             "shift_reshape"),
        node("Sub", ["one", target], ["inverted"], "invert"),
        node("Add", ["inverted", "shift4"], ["shifted"], "shift"),
        node("Clip", ["shifted", "zero", "one"], ["clipped" if nan else output], "clip"),
    ]
    if nan:
        inits.insert(0, f32_init("nan", float("nan"), shape=[]))
        nodes.append(node("Mul", ["clipped", "nan"], [output], "poison"))
    if fp16:
        nodes.append(node("Cast", ["output32"], ["output"], "output_cast", to=TensorProto.FLOAT16))
    elem = TensorProto.FLOAT16 if fp16 else F32
    inputs = [
        helper.make_tensor_value_info("target", elem, [1, 3, 128, 128]),
        helper.make_tensor_value_info("source", elem, [1, 512]),
    ]
    outputs = [helper.make_tensor_value_info("output", elem, [1, 3, 128, 128])]
    model = build_model("inswapper_128_fixture", nodes, inputs, outputs,
                        inits, "fixture with the inswapper_128.onnx signature")
    assert model.graph.initializer[-1].name == "emap"
    return model


# Signature source: facefusion-labs hyperswap/src/exporting.py (inputs "source" [1,512] and
# "target" [1,3,256,256], outputs "output" and "mask"; float32 at the boundary).
def make_hyperswap(graph_name):
    inits = [
        f32_init("shift_w", inswapper_weights()),
        i64_init("shift_shape", [1, 3, 1, 1]),
    ]
    nodes = [
        node("MatMul", ["source", "shift_w"], ["shift_flat"], "shift_matmul"),
        node("Reshape", ["shift_flat", "shift_shape"], ["shift4"], "shift_reshape"),
        node("Sub", ["shift4", "target"], ["output"], "shift_minus_target"),
        node("ReduceMean", ["target"], ["mask"], "mask_mean", axes=[1], keepdims=1),
    ]
    inputs = [f32_value("source", [1, 512]), f32_value("target", [1, 3, 256, 256])]
    outputs = [f32_value("output", [1, 3, 256, 256]), f32_value("mask", [1, 1, 256, 256])]
    return build_model(graph_name, nodes, inputs, outputs, inits,
                       "fixture with the %s.onnx signature" % graph_name)


SIMSWAP_MEAN = [0.485, 0.456, 0.406]
SIMSWAP_STD = [0.229, 0.224, 0.225]


# Signature source: FaceFusion's face_swapper (simswap_256: "target" [1,3,256,256] and "source"
# [1,512] fed by name, one output [1,3,256,256]).
def make_simswap_256():
    inits = [
        f32_init("one", 1.0, shape=[]),
        f32_init("shift_w", inswapper_weights()),
        i64_init("shift_shape", [1, 3, 1, 1]),
        f32_init("std", SIMSWAP_STD, shape=[1, 3, 1, 1]),
        f32_init("mean", SIMSWAP_MEAN, shape=[1, 3, 1, 1]),
    ]
    nodes = [
        node("Mul", ["target", "std"], ["scaled"], "unstd"),
        node("Add", ["scaled", "mean"], ["pixels"], "unmean"),
        node("Sub", ["one", "pixels"], ["inverted"], "invert"),
        node("MatMul", ["source", "shift_w"], ["shift_flat"], "shift_matmul"),
        node("Reshape", ["shift_flat", "shift_shape"], ["shift4"], "shift_reshape"),
        node("Add", ["inverted", "shift4"], ["output"], "shift"),
    ]
    inputs = [f32_value("target", [1, 3, 256, 256]), f32_value("source", [1, 512])]
    outputs = [f32_value("output", [1, 3, 256, 256])]
    return build_model("simswap_256_fixture", nodes, inputs, outputs, inits,
                       "fixture with the simswap_256.onnx signature")


def converter_weights():
    i = np.arange(512, dtype=np.int64).reshape(512, 1)
    j = np.arange(512, dtype=np.int64).reshape(1, 512)
    matrix = (((i + 2 * j) % 7) - 3).astype(np.float32) / np.float32(16.0)
    bias = ((np.arange(512) % 5) - 2).astype(np.float32) / np.float32(4.0)
    return matrix, bias


# Signature source: FaceFusion's forward_convert_embedding (input "input" [1,512] -> [1,512]).
def make_crossface_simswap():
    matrix, bias = converter_weights()
    inits = [f32_init("convert_w", matrix), f32_init("convert_b", bias)]
    nodes = [
        node("MatMul", ["input", "convert_w"], ["converted"], "convert_matmul"),
        node("Add", ["converted", "convert_b"], ["output"], "convert_bias"),
    ]
    return build_model("crossface_simswap_fixture", nodes, [f32_value("input", [1, 512])],
                       [f32_value("output", [1, 512])], inits,
                       "fixture with the crossface_simswap.onnx signature")


# Signature source: FaceFusion 2.x content_analyser.py (open_nsfw.onnx: one input, a
# [1,224,224,3] BGR frame minus (104, 117, 123); output [.][0][1] the NSFW probability).
def make_open_nsfw():
    inits = [
        i64_init("flat_shape", [1, 1]),
        f32_init("score_w", [[0.0, 0.25]]),
        f32_init("score_b", [0.0, -5.0]),
    ]
    nodes = [
        node("ReduceMean", ["input"], ["mean4"], "mean", axes=[1, 2, 3], keepdims=1),
        node("Reshape", ["mean4", "flat_shape"], ["mean2"], "mean_flat"),
        node("MatMul", ["mean2", "score_w"], ["scaled"], "score_matmul"),
        node("Add", ["scaled", "score_b"], ["logits"], "score_bias"),
        node("Softmax", ["logits"], ["output"], "softmax", axis=1),
    ]
    return build_model("open_nsfw_fixture", nodes, [f32_value("input", [1, 224, 224, 3])],
                       [f32_value("output", [1, 2])], inits, "fixture with the open_nsfw.onnx signature")


# Signature source: GFPGANv1.4.onnx I/O as used by Deep-Live-Cam's face
# enhancer (input "input" [1,3,512,512], output "output" [1,3,512,512]);
# GPEN-BFR-256/512.onnx [1,3,N,N] -> [1,3,N,N]; gfpgan-1024.onnx
# [1,3,512,512] -> [1,3,1024,1024].
ENHANCER_GAIN = 0.8
ENHANCER_BIAS = -0.1


def make_enhancer(graph_name, size, upscale=False):
    """output[c] = 0.8 * input[(c + 1) % 3] - 0.1, after a x2 Resize when upscale."""
    w = np.zeros((3, 3, 1, 1), dtype=np.float32)
    for c in range(3):
        w[c, (c + 1) % 3, 0, 0] = ENHANCER_GAIN
    inits = [
        f32_init("conv_w", w),
        f32_init("conv_b", np.full(3, ENHANCER_BIAS)),
    ]
    nodes = []
    conv_in = "input"
    if upscale:
        inits.append(f32_init("scales", [1.0, 1.0, 2.0, 2.0]))
        nodes.append(node("Resize", ["input", "", "scales"], ["upscaled"], "upscale",
                          mode="linear", coordinate_transformation_mode="half_pixel"))
        conv_in = "upscaled"
    nodes.append(node("Conv", [conv_in, "conv_w", "conv_b"], ["output"], "channel_conv",
                      kernel_shape=[1, 1]))
    out_size = 2 * size if upscale else size
    inputs = [f32_value("input", [1, 3, size, size])]
    outputs = [f32_value("output", [1, 3, out_size, out_size])]
    return build_model(graph_name, nodes, inputs, outputs, inits,
                       "fixture with the %s signature" % graph_name)


# ---------------------------------------------------------------- main

MODELS = (
    ("det_10g.onnx", make_det_10g),
    ("w600k_r50.onnx", make_w600k_r50),
    ("2d106det.onnx", make_2d106det),
    ("inswapper_128.onnx", make_inswapper_128),
    ("inswapper_128_fp16.onnx", lambda: make_inswapper_128(fp16=True)),
    ("GFPGANv1.4.onnx", lambda: make_enhancer("GFPGANv1.4", 512)),
    ("gfpgan-1024.onnx", lambda: make_enhancer("gfpgan-1024", 512, upscale=True)),
    ("GPEN-BFR-256.onnx", lambda: make_enhancer("GPEN-BFR-256", 256)),
    ("GPEN-BFR-512.onnx", lambda: make_enhancer("GPEN-BFR-512", 512)),
    ("hyperswap_1a_256.onnx", lambda: make_hyperswap("hyperswap_1a_256")),
    ("hyperswap_1b_256.onnx", lambda: make_hyperswap("hyperswap_1b_256")),
    ("hyperswap_1c_256.onnx", lambda: make_hyperswap("hyperswap_1c_256")),
    ("simswap_256.onnx", make_simswap_256),
    ("crossface_simswap.onnx", make_crossface_simswap),
    ("open_nsfw.onnx", make_open_nsfw),
)


# Files with a real model's name but a wrong signature, for the checks that must refuse them:
# broken/det_10g.onnx is det_10g.onnx whose stride-32 keypoint output "500" is [n32,5].
BROKEN_MODELS = (
    ("det_10g.onnx", lambda: make_det_10g(kps_width_32=5)),
)

# Files with the right signature whose output is unusable: nan/inswapper_128.onnx is
# inswapper_128.onnx with its output multiplied by NaN.
NAN_MODELS = (
    ("inswapper_128.onnx", lambda: make_inswapper_128(nan=True)),
)


def main(argv):
    if len(argv) != 2:
        sys.stderr.write("usage: %s OUT_DIR\n" % argv[0])
        return 2
    out_dir = argv[1]
    os.makedirs(out_dir, exist_ok=True)
    for file_name, make in MODELS:
        size = write_atomic(make(), out_dir, file_name)
        print("%s %d" % (file_name, size))
    broken_dir = os.path.join(out_dir, "broken")
    os.makedirs(broken_dir, exist_ok=True)
    for file_name, make in BROKEN_MODELS:
        size = write_atomic(make(), broken_dir, file_name)
        print("broken/%s %d" % (file_name, size))
    nan_dir = os.path.join(out_dir, "nan")
    os.makedirs(nan_dir, exist_ok=True)
    for file_name, make in NAN_MODELS:
        size = write_atomic(make(), nan_dir, file_name)
        print("nan/%s %d" % (file_name, size))
    probe_dir = os.path.join(out_dir, "probe")
    os.makedirs(probe_dir, exist_ok=True)
    size = write_atomic(make_det_10g_probe(), probe_dir, "det_10g.onnx")
    print("probe/det_10g.onnx %d" % size)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
