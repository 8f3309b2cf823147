#!/usr/bin/env python3
"""The receiving end of bench/live_stream.sh: ffmpeg listens on a udp:// URL, decodes what dlc
live --stream --stamp-capture-time sends, and hands this script each frame as raw RGB, whose
stamp (32 blocks of 16x16 pixels in the top-left corner) it reads; one frame is saved as a PPM.
(One ffmpeg output only: ffmpeg holds every output back until all of them have a frame.) Prints one JSON line: frames received, their size, the receive rate over the
whole run and over its middle, and the capture-to-receiver latency of each new frame (the
stamp is the capture time in ms of the system clock, mod 2^32; this machine's clock is the
same one). Never pass/fail: figures only."""
import json
import re
import subprocess
import sys
import threading
import time

BITS = 32


def main():
    url, ppm, ppm_frame, width, height = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    # timeout: the receiver ends when no packet came for 10 s (the stream has ended, or dlc never
    # started). No -fflags nobuffer: it drops what ffmpeg read while probing the stream (the first
    # seconds, half of a 12 s run); a 1 s probe delays only the first frames.
    source = url + "?timeout=10000000&fifo_size=1000000&overrun_nonfatal=1"
    # -s: the size dlc sends (--virtual-camera-size); ffmpeg scales anything else to it, and says so.
    argv = ["ffmpeg", "-hide_banner", "-nostdin", "-probesize", "500000", "-analyzeduration", "1000000", "-flags", "low_delay", "-i", source,
            "-map", "0:v", "-s", f"{width}x{height}", "-pix_fmt", "rgb24", "-f", "rawvideo", "pipe:1"]
    frame_bytes = width * height * 3
    ffmpeg = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    stderr = []
    reader = threading.Thread(target=lambda: stderr.extend(ffmpeg.stderr.read().decode(errors="replace").splitlines()))
    reader.start()
    arrivals, latencies = [], []
    previous = None
    while True:
        frame = ffmpeg.stdout.read(frame_bytes)
        if len(frame) < frame_bytes:
            break
        now = time.time()
        if len(arrivals) == ppm_frame:
            with open(ppm, "wb") as out:
                out.write(b"P6\n%d %d\n255\n" % (width, height) + frame)
        arrivals.append(now)
        stamp = 0
        for bit in range(BITS):
            # The block's middle (row 8, column 16 bit + 8): its edges blur under compression.
            at = (8 * width + 16 * bit + 8) * 3
            stamp = (stamp << 1) | (1 if sum(frame[at:at + 3]) > 3 * 127 else 0)
        if stamp != previous:  # a repeat carries its frame's stamp again: only the first counts
            latencies.append((now, ((int(now * 1000) & 0xFFFFFFFF) - stamp) & 0xFFFFFFFF))
            previous = stamp
    ffmpeg.wait()
    reader.join()
    size = None
    for line in stderr:
        m = re.search(r"Video: .*?, (\d+)x(\d+)", line)
        if m:
            size = f"{m.group(1)}x{m.group(2)}"
            break

    def rate(times):
        return (len(times) - 1) / (times[-1] - times[0]) if len(times) >= 2 and times[-1] > times[0] else 0.0

    def percentile(values, fraction):
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0

    # The middle: the first and last 10 % left out (start-up with the probe's burst, and the end,
    # whose last frames ffmpeg hands over only when the input times out).
    cut = len(arrivals) // 10
    middle = arrivals[cut:len(arrivals) - cut] if len(arrivals) > 20 else arrivals
    middle_latencies = [ms for at, ms in latencies if middle and middle[0] <= at <= middle[-1]]
    print(json.dumps({
        "frames": len(arrivals),
        "size": size,
        "seconds": round(arrivals[-1] - arrivals[0], 2) if len(arrivals) >= 2 else 0,
        "rate_fps": round(rate(arrivals), 3),
        "middle_seconds": round(middle[-1] - middle[0], 2) if len(middle) >= 2 else 0,
        "middle_rate_fps": round(rate(middle), 3),
        "new_frames": len(latencies),
        "latency_p50_ms": percentile([ms for _, ms in latencies], 0.50),
        "latency_p95_ms": percentile([ms for _, ms in latencies], 0.95),
        "middle_latency_p50_ms": percentile(middle_latencies, 0.50),
        "middle_latency_p95_ms": percentile(middle_latencies, 0.95),
        "ffmpeg_exit": ffmpeg.returncode,
        "ffmpeg_said": stderr[-1] if ffmpeg.returncode != 0 and stderr else "",
    }))


if __name__ == "__main__":
    main()
