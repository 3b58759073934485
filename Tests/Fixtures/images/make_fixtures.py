# Makes the image fixtures of swift-caffe's image tests (run from Tests/Fixtures/images).
import numpy as np
from PIL import Image

corpus = "../../../../shared/caffe-corpus/images/"
rng = np.random.default_rng(1701)

def save_bgr(name, rgb):
    np.save(name, np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8)[..., ::-1]))

rgb = rng.integers(0, 256, size=(5, 7, 3), dtype=np.uint8)
Image.fromarray(rgb, "RGB").save("noise_rgb.png")
save_bgr("noise_rgb_bgr.npy", rgb)

rgba = rng.integers(0, 256, size=(3, 4, 4), dtype=np.uint8)
Image.fromarray(rgba, "RGBA").save("noise_rgba.png")
save_bgr("noise_rgba_bgr.npy", rgba[..., :3])

palette = Image.fromarray(rgb, "RGB").quantize(colors=6)
palette.save("palette.png")
save_bgr("palette_bgr.npy", np.asarray(palette.convert("RGB")))

gray16 = rng.integers(0, 65536, size=(3, 5), dtype=np.uint16)
Image.frombytes("I;16", (5, 3), gray16.astype("<u2").tobytes()).save("gray16.png")
np.save("gray16_gray.npy", (gray16 >> 8).astype(np.uint8))

bits = rng.integers(0, 2, size=(4, 9)).astype(bool)
Image.fromarray(bits).save("bits.png")
np.save("bits_gray.npy", bits.astype(np.uint8) * 255)

y, x = np.mgrid[0:11, 0:13]
smooth = np.stack([x * 19, y * 23, (x + y) * 10], axis=-1) + rng.integers(0, 20, size=(11, 13, 3))
Image.fromarray(np.clip(smooth, 0, 255).astype(np.uint8), "RGB").save("small.jpg", quality=90)
small = Image.open("small.jpg")
save_bgr("small_bgr.npy", np.asarray(small.convert("RGB")))
small = Image.open("small.jpg")
small.draft("L", small.size)
np.save("small_gray.npy", np.asarray(small))

def rows(name, picks, mode):
    image = Image.open(corpus + name)
    if mode == "L":
        image.draft("L", image.size)
        return np.asarray(image)[picks]
    return np.asarray(image.convert("RGB"))[picks][..., ::-1]

np.save("cat_rows_bgr.npy", np.ascontiguousarray(rows("cat.jpg", [0, 179, 359], "RGB")))
np.save("cat_rows_gray.npy", rows("cat.jpg", [0, 179, 359], "L"))
np.save("fish-bike_rows_bgr.npy", np.ascontiguousarray(rows("fish-bike.jpg", [0, 161, 322], "RGB")))
np.save("cat_gray_rows_gray.npy", rows("cat_gray.jpg", [0, 179, 359], "L"))
