#!/usr/bin/python3
"""Generate architecture-faithful stand-in models with random weights.

Usage:
    /usr/bin/python3 tools/make_standin_models.py OUT_DIR [--only NAME ...]
                                                  [--report-only] [--check] [--verbose]
                                                  [--report-md FILE]

Needs Debian's python3-onnx (onnx 1.12) and python3-numpy; run it with
/usr/bin/python3.  The helpers live in tools/standin_layers.py.

What they are for
-----------------
Speed and memory benchmarks of dlc (`dlc bench`, memory plans, arena sizes)
without the real model files (which are not in the repository).
Each stand-in has the real file's graph: the same input/output names, order,
shapes and element types, the same op types in the same order, the same layer
shapes, so the same parameter count (within 1 %) and multiply-adds (within
5 %).  ONNX Runtime therefore does the same work, picks the same kernels and
holds about the same memory as with the real file.  The weights are random
(seeded normal distributions scaled so activations stay finite), so the
OUTPUTS ARE MEANINGLESS: never use a stand-in to judge output quality, and
never to test face detection or landmark results (use
tools/make_fixture_models.py for predictable outputs).

Source for every architecture fact: /work/shared/docs/MODEL-ARCHITECTURES.md
("the document"; it cites the upstream repositories: somanchiu/ReSwapper,
deepinsight/insightface, TencentARC/GFPGAN, xuanandsix/GFPGAN-onnxruntime-demo,
visomaster/VisoMaster, hacksider/Deep-Live-Cam).  Section numbers below refer
to it.

Output
------
For each model OUT_DIR/NAME.onnx (written as OUT_DIR/.NAME.onnx.tmp, then
renamed) and OUT_DIR/standins.json: per file its
sha256, size, params, constants, MACs, seed and a fingerprint of the spec.
--report-md FILE also writes the report as a Markdown table (written even with
--report-only and when a model is outside tolerance; scripts/standins.sh keeps
it as REPORT.md next to the models).
A file whose spec fingerprint and content hash still match is skipped, so a
second run only re-hashes the files.  --report-only builds every graph
without drawing weights, counts and checks it, prints the report and writes
nothing.  Exit status 1 when any model is outside tolerance (it is then not
written), 2 on usage errors.  Every graph is checked before writing:
onnx.checker on the model without its weights (weights declared as inputs of
the same name and shape) and strict shape inference; --check also runs
onnx.checker on each written file (reads it whole: ~2x its size in RAM).
(Do not check a file with onnx.checker.check_model(path, full_check=True):
onnx 1.12 then rewrites the file in place with inferred value_info.)

Files are ir_version 8, opset 13 (the document: the originals are opset-11-era
torch/MXNet exports; 13 keeps every op used here and reads Split/ReduceSum/
Slice/Unsqueeze arguments from inputs), producer "dlc-standins", all tensors
float32 inside the protobuf (no external data; the largest is ~555 MB).
Deterministic: numpy.random.default_rng(fixed seed per model), initializers
drawn in file order; the same bytes on every run with the same numpy.  The
file is streamed one initializer at a time in protobuf's canonical encoding
(identical to ModelProto.SerializeToString(); self-tested at start), so peak
memory is about one tensor plus the model's graph, not the whole model.

How the report counts
---------------------
The counter walks the nodes of the graph that is written, with its own static
shape bookkeeping (cross-checked against onnx strict shape inference at the
same input shapes), at batch 1 and, for det_10g, 640x640 (what dlc feeds; the
document's 13.3 G).
* params: elements of float initializers that are trained parameters of the
  real model (conv/linear weights and biases, BN gamma/beta/mean/var, PReLU
  slopes, SCRFD Scale, GFPGAN's constant input, inswapper's emap).
* constants: elements of fixed float initializers that are not trained:
  GFPGAN's 15 baked noise maps (699,024, the document's "+0.70 M"), plus the
  scalars and Resize scales every model has (1e-8, 1, 2, sqrt(2), ...; the
  real torch exports hold those in Constant nodes).  int64 initializers
  (pads, shapes, axes, indices) are plumbing and counted as neither.
* MACs: Conv N*Cout*Cin/group*kh*kw*Hout*Wout (GFPGAN's runtime-weight convs
  included), Gemm M*N*K.  Elementwise ops, reductions, Resize, pooling and
  BatchNormalization count 0 (as in the document's figures).

The graphs (document section; "verify" = the document's best guess)
-------------------------------------------------------------------
inswapper_128 (1): inputs target [1,3,128,128], source [1,512]; output output
  [1,3,128,128].  Pad(reflect 3) Conv7x7 3->128, Conv3x3 128->256,
  s2 256->512, s2 512->1024 (LeakyRelu 0.2, BN folded); 6 style blocks of 2
  layers: Pad(reflect 1) Conv3x3 1024->1024, instance norm written out
  (ReduceMean, Sub, Mul, ReduceMean, Add 1e-8, Sqrt, Div(1,.), Mul), AdaIN
  from Gemm(source, [2048,512]) -> Reshape [1,2048,1,1] -> Slice gamma/beta
  (Slice rather than Gather, plain gamma rather than gamma+1: verify; this
  form gives exactly the 226 nodes DLC measured), Mul, Add, Relu after layer
  1; residual Add.  Decoder Resize x2 linear, Conv 1024->512, Resize x2,
  Conv 512->256, Conv 256->128, Pad(reflect 3) Conv7x7 128->3, Tanh, +1, /2.
  All Pads keep pads in an int64 initializer.  emap [512,512] float32 is the
  LAST initializer and used by no node.
w600k_r50 (2): input input.1 [batch,3,112,112], output 683 [batch,512] (names
  verify).  IResNet-50: Conv3x3 3->64 + PRelu; blocks [3,4,14,3] of BN ->
  Conv3x3 -> PRelu -> Conv3x3(stride) (+ Conv1x1 stride shortcut in each
  stage's first block), Add; BN -> Flatten -> Gemm 25088->512 -> BN.  Conv BNs
  folded (convs carry biases), the 26 pre-activation/head BNs kept as
  BatchNormalization, PRelu slopes [C,1,1] (verify).
det_10g (3): input input.1 [1,3,height,width]; outputs 448,471,494 scores
  [n,1], 451,474,497 bbox [n,4], 454,477,500 kps [n,10] (strides 8,16,32).
  SCRFD-10GF bn+kps: deep stem 3x Conv3x3 (3->28 s2, 28->28, 28->56) + ReLU,
  MaxPool 2x2; BasicBlock stages (3,4,2,3) x (56,88,88,224), avg_down
  shortcuts (AveragePool ceil_mode, count_include_pad 0, Conv1x1); PAFPN 56
  (laterals, Resize nearest, fpn convs, 2 downsample + 2 pafpn convs); one
  head per stride: 3x Conv3x3 80 + ReLU, cls 2 (Transpose, Reshape(-1,1),
  Sigmoid), reg 8 (Mul Scale, Transpose, Reshape(-1,4)), kps 20 (Transpose,
  Reshape(-1,10)).  BN folded.
2d106det (4): input data [1,3,192,192] (batch fixed: verify), output fc1
  [1,212].  Sub 127.5, Mul 0.0078125 (MXNet minusscalar0/mulscalar0; values
  verify), MobileNetV1 x0.5: 28 bias-free convs (13 depthwise) each followed by
  BatchNormalization (eps 1e-3, unfolded) and PRelu ([C,1,1]); conv_15 3x3 s2
  512->64, Flatten 576, Gemm 576->212.
GFPGANv1.4 (5): input input [1,3,512,512], output output [1,3,512,512], no
  final Tanh.  U-Net: Conv1x1 3->32, 7 down ResBlocks (Conv3x3, LeakyRelu,
  Resize x0.5 linear, Conv3x3, LeakyRelu; skip Resize x0.5 + Conv1x1 no bias;
  Add), final Conv3x3 256, Flatten, Gemm 4096->8192, Reshape [1,16,512]; 7 up
  ResBlocks (skip Add first), each followed by condition scale/shift nets
  (Conv3x3, LeakyRelu, Conv3x3).  StyleGAN2 decoder with channel multiplier 2:
  constant input [1,512,4,4]; every mod-conv = Gather(latent, scalar j) ->
  Gemm modulation -> Reshape [1,1,cin,1,1] -> Mul weight [1,cout,cin,k,k] ->
  (StyleConv only: Pow 2, ReduceSum(2,3,4), Add 1e-8, Sqrt, Div(1,.), Reshape,
  Mul) -> Reshape [cout,cin,k,k] -> Conv with that runtime weight; StyleConv
  then Mul sqrt2, Add noise constant [1,1,r,r], Add bias, LeakyRelu; ToRGB
  Add bias (+ Resize x2 of the previous skip, Add).  Per level: up StyleConv
  (Resize x2 first), Split in halves, SFT on the second half (Mul scale, Add
  shift), Concat, StyleConv, ToRGB.  23 runtime-weight convs, 72 static.
gfpgan-1024 (5.7): gfpgan-1024.onnx, output output [1,3,1024,1024] from the same
  input: v1.4 plus final_extend_linear Gemm 4096->1024 (2 more latents, Concat
  to [1,18,512]), one more U-Net up ResBlock 32->32 to 1024 with its SFT nets
  (Conv3x3 32->32, LeakyRelu, Conv3x3 32->8), and one more StyleGAN2 level at
  1024 (up StyleConv 64->16, SFT on 8 channels, StyleConv 16->16, ToRGB).
  Checked against the document's "v1.4 + 4.3 M" params and "~247 G" MACs.

Deviations from the document / the real files
---------------------------------------------
* All: opset 13 (real files opset 11-era; the exact opset is "verify");
  node and initializer names are ours except the graph I/O names (and a few
  inswapper initializer names taken from the real file); torch Constant nodes
  are initializers (shared between nodes), so node counts differ slightly
  from a torch export (inswapper: exactly 226 nodes, the measured count).
* det_10g: the real graph computes each nearest-Resize's sizes with
  Shape/Gather/Unsqueeze/Concat/Cast glue; the stand-in uses one Shape of the
  target feature map as `sizes` (same Resize kernel, works for any input
  size, 4 fewer glue nodes per Resize).  The document allows this.
* GFPGAN: the no-op Reshapes torch emits around each grouped conv
  (x.view(1, b*c, h, w), out.view(b, cout, h, w)) are left out (batch 1);
  the modulated weight goes straight to Conv as a runtime tensor.  Noise
  weights are folded into the noise constants as the document describes.
* Resize linear uses coordinate_transformation_mode pytorch_half_pixel (the
  document's choice; "verify" on the real files).
* Parameter counts are those of the ONNX file, where the document partly
  counts the torch modules: w600k_r50 +128 (folded BNs become one conv bias
  per channel instead of gamma+beta: -12,672; the 26 kept BatchNormalization
  nodes hold 4 values per channel instead of 2: +12,800); det_10g -3,968 (its
  3,968 folded BN channels: 1 conv bias instead of gamma+beta); GFPGAN -15
  (the 15 noise weights live inside the noise constants).  MACs: det_10g
  +0.3 % and 2d106det +0.2 % against the document's rounded figures.
  --verbose prints these notes and the op inventory per model.
* Weight scales (not in the real files' spirit, only to keep activations
  finite and away from denormals with random weights): He-normal convs,
  smaller last conv in residual branches, BN statistics near (0, 1), PReLU
  slopes near 0.25, SCRFD cls bias -4.595 (mmdet's prior), GFPGAN modulation
  biases 1 and SFT scale ~1 / shift ~0.
"""

import argparse
import gc
import hashlib
import json
import math
import os
import sys
import time

import onnx
from onnx import helper

from standin_layers import (F32, GraphBuilder, check_skeleton, count_graph, iter_model_bytes,
                            selftest_encoding, spec_fingerprint)

IR_VERSION = 8
OPSET = 13
PRODUCER = "dlc-standins"
GENERATOR_VERSION = "1"
PARAM_TOLERANCE = 0.01
MAC_TOLERANCE = 0.05
MANIFEST = "standins.json"


class ModelDef:
    """A built graph plus what the report compares it with."""

    def __init__(self, name, builder, inputs, outputs, concrete, seed, real_params, real_macs,
                 real_consts=None, note=""):
        self.name = name
        self.builder = builder
        self.inputs = inputs
        self.outputs = outputs
        self.concrete = concrete          # input name -> shape used for counting
        self.seed = seed
        self.real_params = real_params
        self.real_macs = real_macs
        self.real_consts = real_consts    # only GFPGAN has documented constants
        self.note = note

    @property
    def file_name(self):
        return self.name + ".onnx"

    def model_kwargs(self):
        return dict(ir_version=IR_VERSION, opset=OPSET, producer_name=PRODUCER,
                    producer_version=GENERATOR_VERSION,
                    doc_string="architecture-faithful random-weight stand-in for %s; for speed "
                               "and memory benchmarks only, outputs are meaningless"
                               % self.file_name)


def vi(name, dims):
    return helper.make_tensor_value_info(name, F32, dims)


# ---------------------------------------------------------------- inswapper_128 (document 1)

def _inswapper_style_layer(b, x, block, layer):
    """Pad(reflect 1) Conv3x3, written-out instance norm, AdaIN from `source`."""
    c = 1024
    y = b.pad_reflect(x, 1)
    # No activation follows directly (the norm removes the scale): std 1/sqrt(fan_in).
    y = b.conv(y, c, c, 3, pad=0, std=(1.0 / (c * 9)) ** 0.5,
               wname="styles.%d.conv%d.1.weight" % (block, layer))
    mean = b.node("ReduceMean", [y], axes=[2, 3], keepdims=1)
    d = b.node("Sub", [y, mean])
    sq = b.node("Mul", [d, d])
    var = b.node("ReduceMean", [sq], axes=[2, 3], keepdims=1)
    var = b.node("Add", [var, b.scalar(1e-8)])
    root = b.node("Sqrt", [var])
    inv = b.node("Div", [b.scalar(1.0), root])
    y = b.node("Mul", [d, inv])
    style = b.gemm("source", 512, 2 * c, wname="styles.%d.style%d.linear.weight" % (block, layer))
    style = b.node("Reshape", [style, b.i64([1, 2 * c, 1, 1])])
    axis = b.i64([1])
    gamma = b.node("Slice", [style, b.i64([0]), b.i64([c]), axis])
    beta = b.node("Slice", [style, b.i64([c]), b.i64([2 * c]), axis])
    y = b.node("Add", [b.node("Mul", [y, gamma]), beta])
    return b.relu(y) if layer == 1 else y


def build_inswapper_128():
    b = GraphBuilder("inswapper_128_standin")
    x = b.pad_reflect("target", 3)
    x = b.leaky(b.conv(x, 3, 128, 7, pad=0, wname="onnx::Conv_833"))
    x = b.leaky(b.conv(x, 128, 256, 3, 1))
    x = b.leaky(b.conv(x, 256, 512, 3, 2))
    x = b.leaky(b.conv(x, 512, 1024, 3, 2))
    for block in range(6):
        y = _inswapper_style_layer(b, x, block, 1)
        y = _inswapper_style_layer(b, y, block, 2)
        x = b.node("Add", [x, y])
    x = b.resize_scale(x, 2.0)
    x = b.leaky(b.conv(x, 1024, 512, 3))
    x = b.resize_scale(x, 2.0)
    x = b.leaky(b.conv(x, 512, 256, 3))
    x = b.leaky(b.conv(x, 256, 128, 3))
    x = b.pad_reflect(x, 3)
    x = b.conv(x, 128, 3, 7, pad=0, std=(1.0 / (128 * 49)) ** 0.5, wname="up0.1.weight")
    x = b.node("Tanh", [x])
    x = b.node("Add", [x, b.scalar(1.0)])
    b.node("Div", [x, b.scalar(2.0)], out="output")
    # insightface reads graph.initializer[-1] as emap; no node uses it.
    b.normal("emap", (512, 512), (1.0 / 512) ** 0.5)
    assert b.specs[-1].name == "emap"
    return ModelDef("inswapper_128", b,
                    [vi("target", [1, 3, 128, 128]), vi("source", [1, 512])],
                    [vi("output", [1, 3, 128, 128])],
                    {"target": (1, 3, 128, 128), "source": (1, 512)},
                    seed=128001, real_params=138_554_883, real_macs=174.6e9,
                    note="params include emap (262,144)")


# ---------------------------------------------------------------- w600k_r50 (document 2)

def build_w600k_r50():
    b = GraphBuilder("w600k_r50_standin")
    x = b.prelu(b.conv("input.1", 3, 64, 3), 64)
    inplanes = 64
    for planes, blocks in zip((64, 128, 256, 512), (3, 4, 14, 3)):
        for j in range(blocks):
            stride = 2 if j == 0 else 1
            y = b.bn(x, inplanes, 1e-5)
            y = b.prelu(b.conv(y, inplanes, planes, 3), planes)
            # Small last conv so 24 un-normalised residual adds stay moderate.
            y = b.conv(y, planes, planes, 3, stride=stride, gain=0.3)
            shortcut = x
            if j == 0:
                shortcut = b.conv(x, inplanes, planes, 1, stride=stride, pad=0, gain=0.7)
            x = b.node("Add", [y, shortcut])
            inplanes = planes
    x = b.bn(x, 512, 1e-5)
    x = b.node("Flatten", [x], axis=1)
    x = b.gemm(x, 512 * 7 * 7, 512)
    b.bn(x, 512, 1e-5, out="683")
    return ModelDef("w600k_r50", b,
                    [vi("input.1", ["batch", 3, 112, 112])],
                    [vi("683", ["batch", 512])],
                    {"input.1": (1, 3, 112, 112)},
                    seed=50001, real_params=43_590_848, real_macs=6.31e9,
                    note="+128 vs the document's torch count: folded BNs are 1 conv bias per "
                         "channel (-12,672), kept BNs 4 values per channel (+12,800)")


# ---------------------------------------------------------------- det_10g (document 3)

DET_STRIDES = (8, 16, 32)
DET_SCORE_NAMES = ("448", "471", "494")
DET_BBOX_NAMES = ("451", "474", "497")
DET_KPS_NAMES = ("454", "477", "500")


def _det_head_output(b, x, width, out, sigmoid=False):
    x = b.node("Transpose", [x], perm=[0, 2, 3, 1])
    if sigmoid:
        x = b.node("Reshape", [x, b.i64([-1, width])])
        return b.node("Sigmoid", [x], out=out)
    return b.node("Reshape", [x, b.i64([-1, width])], out=out)


def build_det_10g():
    b = GraphBuilder("det_10g_standin")
    x = b.relu(b.conv("input.1", 3, 28, 3, 2))
    x = b.relu(b.conv(x, 28, 28, 3))
    x = b.relu(b.conv(x, 28, 56, 3))
    x = b.node("MaxPool", [x], kernel_shape=[2, 2], strides=[2, 2], pads=[0, 0, 0, 0])
    inplanes = 56
    stage_out = []
    for planes, blocks, stride in zip((56, 88, 88, 224), (3, 4, 2, 3), (1, 2, 2, 2)):
        for j in range(blocks):
            s = stride if j == 0 else 1
            y = b.relu(b.conv(x, inplanes, planes, 3, s))
            y = b.conv(y, planes, planes, 3, gain=0.5)
            shortcut = x
            if j == 0 and (s != 1 or inplanes != planes):
                if s != 1:
                    shortcut = b.node("AveragePool", [shortcut], kernel_shape=[s, s],
                                      strides=[s, s], pads=[0, 0, 0, 0], ceil_mode=1,
                                      count_include_pad=0)
                shortcut = b.conv(shortcut, inplanes, planes, 1, pad=0, gain=0.7)
            x = b.relu(b.node("Add", [y, shortcut]))
            inplanes = planes
        stage_out.append((x, planes))
    lin = 0.7  # neck convs have no activation: ~1/sqrt(fan_in)
    lat = [b.conv(f, c, 56, 1, pad=0, gain=lin) for f, c in stage_out[1:]]
    lat[1] = b.node("Add", [lat[1], b.resize_like(lat[2], lat[1])])
    lat[0] = b.node("Add", [lat[0], b.resize_like(lat[1], lat[0])])
    inter = [b.conv(t, 56, 56, 3, gain=lin) for t in lat]
    inter[1] = b.node("Add", [inter[1], b.conv(inter[0], 56, 56, 3, 2, gain=lin)])
    inter[2] = b.node("Add", [inter[2], b.conv(inter[1], 56, 56, 3, 2, gain=lin)])
    outs = [inter[0], b.conv(inter[1], 56, 56, 3, gain=lin), b.conv(inter[2], 56, 56, 3, gain=lin)]
    for level, feat in enumerate(outs):
        t = feat
        for k in range(3):
            t = b.relu(b.conv(t, 56 if k == 0 else 80, 80, 3))
        cls = b.conv(t, 80, 2, 3, gain=lin, bias_mean=-4.595)  # mmdet bias_prob 0.01
        reg = b.conv(t, 80, 8, 3, gain=lin)
        kps = b.conv(t, 80, 20, 3, gain=lin)
        _det_head_output(b, cls, 1, DET_SCORE_NAMES[level], sigmoid=True)
        scale = b.normal("scales.%d.scale" % level, (), 0.05, mean=1.0)
        _det_head_output(b, b.node("Mul", [reg, scale]), 4, DET_BBOX_NAMES[level])
        _det_head_output(b, kps, 10, DET_KPS_NAMES[level])
    outputs = ([vi(n, ["n%d" % s, 1]) for n, s in zip(DET_SCORE_NAMES, DET_STRIDES)]
               + [vi(n, ["n%d" % s, 4]) for n, s in zip(DET_BBOX_NAMES, DET_STRIDES)]
               + [vi(n, ["n%d" % s, 10]) for n, s in zip(DET_KPS_NAMES, DET_STRIDES)])
    return ModelDef("det_10g", b, [vi("input.1", [1, 3, "height", "width"])], outputs,
                    {"input.1": (1, 3, 640, 640)},
                    seed=10001, real_params=4_229_905, real_macs=13.3e9,
                    note="MACs at 640x640; -3,968 params vs the document's torch count: "
                         "folded BN channels carry 1 conv bias instead of gamma+beta")


# ---------------------------------------------------------------- 2d106det (document 4)

def build_2d106det():
    b = GraphBuilder("2d106det_standin")

    def conv_bn_prelu(x, cin, cout, k, s, groups=1):
        y = b.conv(x, cin, cout, k, s, groups=groups, bias=False)
        return b.prelu(b.bn(y, cout, 1e-3), cout)

    x = b.node("Sub", ["data", b.scalar(127.5)])
    x = b.node("Mul", [x, b.scalar(0.0078125)])
    x = conv_bn_prelu(x, 3, 16, 3, 2)
    cfg = ([(16, 32, 1), (32, 64, 2), (64, 64, 1), (64, 128, 2), (128, 128, 1), (128, 256, 2)]
           + [(256, 256, 1)] * 5 + [(256, 512, 2), (512, 512, 1)])
    for cin, cout, s in cfg:
        x = conv_bn_prelu(x, cin, cin, 3, s, groups=cin)   # conv_N_dw
        x = conv_bn_prelu(x, cin, cout, 1, 1)              # conv_N
    x = conv_bn_prelu(x, 512, 64, 3, 2)                    # conv_15
    x = b.node("Flatten", [x], axis=1)
    b.gemm(x, 576, 212, out="fc1")
    return ModelDef("2d106det", b, [vi("data", [1, 3, 192, 192])], [vi("fc1", [1, 212])],
                    {"data": (1, 3, 192, 192)},
                    seed=106001, real_params=1_252_564, real_macs=0.112e9)


# ---------------------------------------------------------------- GFPGANv1.4 (document 5)

GFP_UNET = {4: 256, 8: 256, 16: 256, 32: 256, 64: 256, 128: 128, 256: 64, 512: 32}
GFP_STYLE = {4: 512, 8: 512, 16: 512, 32: 512, 64: 512, 128: 256, 256: 128, 512: 64}


def _gfp_resblock(b, x, cin, cout, scale):
    """GFPGANv1Clean ResBlock: conv1, LeakyRelu, resize, conv2, LeakyRelu; skip = resize,
    Conv1x1 (no bias); Add.  conv2 and skip scaled by 1/sqrt(2) so the sum keeps its size."""
    y = b.leaky(b.conv(x, cin, cin, 3))
    y = b.resize_scale(y, scale)
    y = b.leaky(b.conv(y, cin, cout, 3, gain=0.5 ** 0.5))
    s = b.resize_scale(x, scale)
    s = b.conv(s, cin, cout, 1, pad=0, bias=False, gain=0.5)
    return b.node("Add", [y, s])


def _gfp_modconv(b, x, latent, j, cin, cout, k, demodulate, prefix):
    """ModulatedConv2d exported with a runtime weight (document 5.4)."""
    w_lat = b.node("Gather", [latent, b.i64(j, name=None)], axis=1)       # [1,512]
    # Modulation Linear: kaiming-normal fan_in, bias 1 (stylegan2_clean_arch init).
    style = b.gemm(w_lat, 512, cin, std=(2.0 / 512) ** 0.5, bias_std=0.0, bias_mean=1.0,
                   wname=prefix + ".modulation.weight")
    style = b.node("Reshape", [style, b.i64([1, 1, cin, 1, 1])])
    weight = b.normal(prefix + ".weight", (1, cout, cin, k, k), (1.0 / (cin * k * k)) ** 0.5)
    w = b.node("Mul", [weight, style])
    if demodulate:
        d = b.node("Pow", [w, b.scalar(2.0)])
        d = b.node("ReduceSum", [d, b.i64([2, 3, 4])], keepdims=0)
        d = b.node("Add", [d, b.scalar(1e-8)])
        d = b.node("Sqrt", [d])
        d = b.node("Div", [b.scalar(1.0), d])
        d = b.node("Reshape", [d, b.i64([1, cout, 1, 1, 1])])
        w = b.node("Mul", [w, d])
    w = b.node("Reshape", [w, b.i64([cout, cin, k, k])])
    return b.node("Conv", [x, w], kernel_shape=[k, k], strides=[1, 1],
                  pads=[k // 2] * 4, dilations=[1, 1], group=1)


def _gfp_styleconv(b, x, latent, j, cin, cout, res, noise_idx, up, prefix):
    if up:
        x = b.resize_scale(x, 2.0)
    y = _gfp_modconv(b, x, latent, j, cin, cout, 3, True, prefix + ".modulated_conv")
    y = b.node("Mul", [y, b.scalar(math.sqrt(2.0))])
    # noise weight x fixed noise map, folded into one constant (document 5.4).
    noise = b.normal("noise%d" % noise_idx, (1, 1, res, res), 0.1, kind="const")
    y = b.node("Add", [y, noise])
    y = b.node("Add", [y, b.normal(prefix + ".bias", (1, cout, 1, 1), 0.01)])
    return b.leaky(y)


def _gfp_torgb(b, x, latent, j, cin, skip, prefix, out=None):
    y = _gfp_modconv(b, x, latent, j, cin, 3, 1, False, prefix + ".modulated_conv")
    if skip is None:
        return b.node("Add", [y, b.normal(prefix + ".bias", (1, 3, 1, 1), 0.01)], out=out)
    y = b.node("Add", [y, b.normal(prefix + ".bias", (1, 3, 1, 1), 0.01)])
    return b.node("Add", [y, b.resize_scale(skip, 2.0)], out=out)


def build_gfpgan_v14(out_size=512):
    """out_size 1024: gfpgan-1024.onnx (document 5.7), v1.4 plus one level at 1024x1024."""
    big = out_size == 1024
    b = GraphBuilder("gfpgan_1024_standin" if big else "gfpgan_v14_standin")
    # ---- U-Net encoder
    feat = b.leaky(b.conv("input", 3, GFP_UNET[512], 1, pad=0))
    skips = []
    res = 512
    while res > 4:
        feat = _gfp_resblock(b, feat, GFP_UNET[res], GFP_UNET[res // 2], 0.5)
        res //= 2
        skips.insert(0, feat)
    feat = b.leaky(b.conv(feat, 256, 256, 3))
    flat = b.node("Flatten", [feat], axis=1)
    style_code = b.gemm(flat, 256 * 4 * 4, 16 * 512, wname="final_linear.weight")
    latent = b.node("Reshape", [style_code, b.i64([1, 16, 512])])
    if big:
        # final_extend_linear: 2 more latents for the 1024 level.
        extra = b.gemm(flat, 256 * 4 * 4, 2 * 512, wname="final_extend_linear.weight")
        extra = b.node("Reshape", [extra, b.i64([1, 2, 512])])
        latent = b.node("Concat", [latent, extra], axis=1)
    # ---- U-Net decoder + SFT condition nets
    conditions = []
    for i in range(7):
        res = 8 << i
        feat = b.node("Add", [feat, skips[i]])
        feat = _gfp_resblock(b, feat, GFP_UNET[res // 2], GFP_UNET[res], 2.0)
        c = GFP_UNET[res]
        for kind, mean in (("scale", 1.0), ("shift", 0.0)):
            t = b.leaky(b.conv(feat, c, c, 3))
            # small second conv: scale ~ 1, shift ~ 0, so SFT keeps activations moderate
            conditions.append(b.conv(t, c, c, 3, std=0.1 * (1.0 / (c * 9)) ** 0.5,
                                     bias_mean=mean, wname="condition_%s.%d.2.weight" % (kind, i)))
    if big:
        # One more U-Net up ResBlock 32->32 to 1024, and the final SFT nets 32->32->8.
        feat = _gfp_resblock(b, feat, 32, 32, 2.0)
        for kind, mean in (("scale", 1.0), ("shift", 0.0)):
            t = b.leaky(b.conv(feat, 32, 32, 3))
            conditions.append(b.conv(t, 32, 8, 3, std=0.1 * (1.0 / (32 * 9)) ** 0.5,
                                     bias_mean=mean, wname="condition_%s.7.2.weight" % kind))
    # ---- StyleGAN2 decoder with SFT
    const = b.normal("stylegan_decoder.constant_input.weight", (1, 512, 4, 4), 1.0)
    out = _gfp_styleconv(b, const, latent, 0, 512, 512, 4, 0, False, "style_conv1")
    skip = _gfp_torgb(b, out, latent, 1, 512, None, "to_rgb1")
    j = 1
    levels = 8 if big else 7
    style = dict(GFP_STYLE)
    style[1024] = 16
    for level in range(1, levels + 1):
        res = 4 << level
        cin, cout = style[res // 2], style[res]
        out = _gfp_styleconv(b, out, latent, j, cin, cout, res, 2 * level - 1, True,
                             "style_convs.%d" % (2 * level - 2))
        half = cout // 2
        same, sft = b.node("Split", [out, b.i64([half, half])], outputs=2, axis=1)
        sft = b.node("Add", [b.node("Mul", [sft, conditions[j - 1]]), conditions[j]])
        out = b.node("Concat", [same, sft], axis=1)
        out = _gfp_styleconv(b, out, latent, j + 1, cout, cout, res, 2 * level, False,
                             "style_convs.%d" % (2 * level - 1))
        skip = _gfp_torgb(b, out, latent, j + 2, cout, skip, "to_rgbs.%d" % (level - 1),
                          out="output" if level == levels else None)
        j += 2
    if big:
        return ModelDef("gfpgan-1024", b, [vi("input", [1, 3, 512, 512])],
                        [vi("output", [1, 3, 1024, 1024])], {"input": (1, 3, 512, 512)},
                        seed=14002, real_params=84_339_239 + 4_300_000, real_macs=247e9,
                        real_consts=699_024 + 2 * 1024 * 1024,
                        note="the document's 'v1.4 + 4.3 M' and '~247 G' (verify against the real "
                             "file); 2 more noise maps at 1024x1024")
    return ModelDef("GFPGANv1.4", b, [vi("input", [1, 3, 512, 512])],
                    [vi("output", [1, 3, 512, 512])], {"input": (1, 3, 512, 512)},
                    seed=14001, real_params=84_339_239, real_macs=197.8e9,
                    real_consts=699_024,
                    note="params -15: the noise weights are folded into the noise maps; "
                         "constants = 15 noise maps (699,024) + 4 scalars + 2 Resize scale "
                         "vectors (12)")


BUILDERS = {
    "inswapper_128": build_inswapper_128,
    "w600k_r50": build_w600k_r50,
    "det_10g": build_det_10g,
    "2d106det": build_2d106det,
    "GFPGANv1.4": build_gfpgan_v14,
    "gfpgan-1024": lambda: build_gfpgan_v14(out_size=1024),
}


# ---------------------------------------------------------------- report / files

def _pct(got, real):
    return (got - real) / real * 100.0


def _gmac(macs):
    g = macs / 1e9
    return "%.1f" % g if g >= 100 else "%.2f" % g if g >= 1 else "%.3f" % g


def report_line(md, counts):
    p, m, c = counts["params"], counts["macs"], counts["consts"]
    line = "%s: params %s (real %s, %+.1f%%), MACs %s G (real %s G, %+.1f%%)" % (
        md.name, format(p, ","), format(md.real_params, ","), _pct(p, md.real_params),
        _gmac(m), _gmac(md.real_macs), _pct(m, md.real_macs))
    if md.real_consts is not None:
        line += ", constants %s (real %s, %+.1f%%)" % (
            format(c, ","), format(md.real_consts, ","), _pct(c, md.real_consts))
    elif c:
        line += ", + %d constant elements (scalars, Resize scales)" % c
    return line


def within_tolerance(md, counts):
    ok = (abs(_pct(counts["params"], md.real_params)) <= PARAM_TOLERANCE * 100
          and abs(_pct(counts["macs"], md.real_macs)) <= MAC_TOLERANCE * 100)
    if md.real_consts is not None:
        ok = ok and abs(_pct(counts["consts"], md.real_consts)) <= PARAM_TOLERANCE * 100
    return ok


def report_md(rows):
    """The report as Markdown: one row per [model, counts, ok, sha256 or None]."""
    lines = ["# Stand-in models: counted vs real figures", "",
             "Counted by tools/make_standin_models.py on the written graph (batch 1; det_10g at "
             "640x640); real figures from docs/MODEL-ARCHITECTURES.md. Tolerance: params and "
             "constants within %g %%, MACs within %g %%. Random weights (fixed seed per model): "
             "for speed and memory benchmarks only." % (PARAM_TOLERANCE * 100, MAC_TOLERANCE * 100),
             "",
             "| model | seed | params | real params | params dev % | GMACs | real GMACs "
             "| MACs dev % | constants | status | sha256 (first 16) |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|"]
    for md, counts, ok, sha in rows:
        p, m, c = counts["params"], counts["macs"], counts["consts"]
        consts = format(c, ",")
        if md.real_consts is not None:
            consts += " (real %s, %+.2f %%)" % (format(md.real_consts, ","),
                                               _pct(c, md.real_consts))
        lines.append("| %s | %d | %s | %s | %+.2f | %s | %s | %+.2f | %s | %s | %s |" % (
            md.file_name, md.seed, format(p, ","), format(md.real_params, ","),
            _pct(p, md.real_params), _gmac(m), _gmac(md.real_macs), _pct(m, md.real_macs),
            consts, "ok" if ok else "OUTSIDE TOLERANCE (not written)", sha[:16] if sha else "-"))
    return "\n".join(lines) + "\n"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            chunk = f.read(1 << 24)
            if not chunk:
                return h.hexdigest()
            h.update(chunk)


def load_manifest(out_dir):
    try:
        with open(os.path.join(out_dir, MANIFEST)) as f:
            data = json.load(f)
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def save_manifest(out_dir, manifest):
    path = os.path.join(out_dir, MANIFEST)
    tmp = os.path.join(out_dir, "." + MANIFEST + ".tmp")
    with open(tmp, "w") as f:
        json.dump(manifest, f, indent=2, sort_keys=True)
        f.write("\n")
    os.replace(tmp, path)


def write_model(md, out_dir, check=False):
    """Stream the model to a temporary file, check it, rename; return (sha256, size)."""
    final = os.path.join(out_dir, md.file_name)
    tmp = os.path.join(out_dir, "." + md.file_name + ".tmp")
    h = hashlib.sha256()
    size = 0
    try:
        with open(tmp, "wb") as f:
            for piece in iter_model_bytes(md.builder, md.inputs, md.outputs, md.model_kwargs(),
                                          md.seed):
                f.write(piece)
                h.update(piece)
                size += len(piece)
            f.flush()
            os.fsync(f.fileno())
        if check:
            onnx.checker.check_model(tmp)   # path form: the C++ checker reads the whole file
        os.replace(tmp, final)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise
    return h.hexdigest(), size


def parse_args(argv):
    ap = argparse.ArgumentParser(description="Write random-weight, architecture-faithful "
                                 "stand-ins of the dlc models (benchmarks only).")
    ap.add_argument("out_dir")
    ap.add_argument("--only", nargs="+", metavar="NAME",
                    help="models to build: " + ", ".join(BUILDERS) + " (.onnx optional)")
    ap.add_argument("--report-only", action="store_true",
                    help="build, count and check the graphs; write nothing")
    ap.add_argument("--check", action="store_true",
                    help="also run onnx.checker on each written file before renaming it "
                         "(reads the whole file: about twice its size in RAM)")
    ap.add_argument("--verbose", action="store_true", help="also print node and op counts")
    ap.add_argument("--report-md", metavar="FILE",
                    help="also write the report as a Markdown table to FILE")
    args = ap.parse_args(argv)
    names = list(BUILDERS)
    if args.only:
        names = []
        for n in args.only:
            n = n[:-5] if n.endswith(".onnx") else n
            if n not in BUILDERS:
                ap.error("unknown model %r (known: %s)" % (n, ", ".join(BUILDERS)))
            if n not in names:
                names.append(n)
    args.names = names
    return args


def main(argv):
    args = parse_args(argv)
    selftest_encoding()
    if not args.report_only:
        os.makedirs(args.out_dir, exist_ok=True)
    manifest = load_manifest(args.out_dir)
    all_ok = True
    rows = []
    for name in args.names:
        started = time.monotonic()
        md = BUILDERS[name]()
        counts = count_graph(md.builder.graph(md.inputs, md.outputs), md.builder.specs,
                             md.concrete)
        checked = check_skeleton(md.builder, md.inputs, md.outputs, md.model_kwargs(), md.concrete,
                       counts["shapes"])
        ok = within_tolerance(md, counts)
        all_ok = all_ok and ok
        row = [md, {k: counts[k] for k in ("params", "macs", "consts")}, ok, None]
        rows.append(row)
        print(report_line(md, counts) + ("" if ok else "  OUTSIDE TOLERANCE"), flush=True)
        if args.verbose:
            ops = ", ".join("%s %d" % kv for kv in sorted(counts["ops"].items()))
            print("  %d nodes, %d initializers, %d shapes agree with onnx shape inference: %s"
                  % (counts["nodes"], len(md.builder.specs), checked, ops))
            if md.note:
                print("  note: " + md.note)
        if args.report_only:
            continue
        if not ok:
            print("  %s not written" % md.file_name)
            continue
        fingerprint = spec_fingerprint(md.builder, md.inputs, md.outputs, md.model_kwargs(),
                                       md.seed, [GENERATOR_VERSION, OPSET, IR_VERSION])
        path = os.path.join(args.out_dir, md.file_name)
        entry = manifest.get(md.file_name)
        if (isinstance(entry, dict) and entry.get("spec") == fingerprint
                and os.path.isfile(path) and os.path.getsize(path) == entry.get("bytes")
                and sha256_file(path) == entry.get("sha256")):
            print("  %s up to date (sha256 %s), skipped" % (md.file_name, entry["sha256"][:16]))
            row[3] = entry["sha256"]
            continue
        sha, size = write_model(md, args.out_dir, check=args.check)
        row[3] = sha
        manifest[md.file_name] = {"sha256": sha, "bytes": size, "params": counts["params"],
                                  "constants": counts["consts"], "macs": counts["macs"],
                                  "seed": md.seed, "spec": fingerprint}
        save_manifest(args.out_dir, manifest)
        print("  wrote %s: %d bytes, sha256 %s (%.1f s)"
              % (md.file_name, size, sha[:16], time.monotonic() - started), flush=True)
        del md, counts
        gc.collect()
    if args.report_md:
        tmp = args.report_md + ".tmp"
        with open(tmp, "w") as f:
            f.write(report_md(rows))
        os.replace(tmp, args.report_md)
    return 0 if all_ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
