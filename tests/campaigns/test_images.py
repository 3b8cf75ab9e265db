"""campaigns.images: a picture is shrunk, then turned upright by its EXIF orientation."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from campaigns.images import image_prepare

ORIENTATION = 0x0112
ROTATED_90_CLOCKWISE = 6  # the camera was held upright: the stored pixels lie on their side


def test_a_photo_taken_upright_is_stored_upright_and_shrunk_to_the_longest_side():
    camera = io.BytesIO()
    sideways = Image.new("RGB", (3000, 1000), "red")
    exif = sideways.getexif()
    exif[ORIENTATION] = ROTATED_90_CLOCKWISE
    sideways.save(camera, format="JPEG", exif=exif.tobytes())

    stored = image_prepare(SimpleUploadedFile("photo.jpg", camera.getvalue(), content_type="image/jpeg"))

    with Image.open(io.BytesIO(stored.read())) as picture:
        # 1000 x 3000 once upright; its longer side brought down to 2000 px: 667 x 2000.
        assert picture.size == (667, 2000)
        assert ORIENTATION not in picture.getexif()  # nothing left to turn it a second time
