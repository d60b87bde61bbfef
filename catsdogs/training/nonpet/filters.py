"""Which files may enter the non-pet set: names that do not speak of a pet, and groups that keep
every variant of one picture together."""

import re
from pathlib import PurePosixPath

# Words for cats and dogs in the languages package authors name files in, plus the wild cats
# and canids: a lion or a wolf is close enough to a pet that it has no place among the
# images the detector must call "neither".
PET_WORDS = frozenset(
    """
    cat cats kitten kittens kitty kitties kitteh puppy puppies pup pups dog dogs doggy doggie
    doggo hound hounds canine canines feline felines pet pets paw paws pawprint pawprints
    tabby siamese sphynx ragdoll tomcat bobcat wildcat polecat
    poodle terrier retriever labrador beagle bulldog chihuahua dachshund spaniel collie husky
    pug corgi dalmatian rottweiler doberman greyhound schnauzer pomeranian sheepdog mastiff
    whippet pinscher bichon maltese shihtzu
    lion lions lioness tiger tigers leopard leopards cheetah jaguar lynx ocelot cougar puma
    wolf wolves fox foxes coyote jackal dingo
    chat chats chaton chatons chatte chien chiens chienne chiot chiots minou
    gato gatos gata gatito gatitos perro perros perra perrito cachorro cachorros cao caes
    gatto gatti gatta gattino gattina gattini micio cane cani cagna cagnolino cucciolo cuccioli
    katze katzen kater katzchen hund hunde hundchen welpe welpen
    kat katten poes poesje hond honden hondje
    katt katter kattunge kissa koira pentu valp
    kot koty kotek kotka pies psy piesek szczeniak kocka pes stene macka macska kutya
    kedi kopek neko inu
    кот кошка котёнок котенок коты собака собаки пёс пес щенок кіт кішка
    """.split()
)
# Scripts written without spaces: the word may sit anywhere in a name.
PET_SUBSTRINGS = ("猫", "犬", "狗", "고양이", "강아지")
# A dog or a cat may end a compound English name (hotdog, wildcat, sheepdog).
PET_SUFFIXES = ("cat", "cats", "dog", "dogs")
SUFFIX_FALSE_FRIENDS = frozenset({"muscat", "scat", "ducat", "hotdog", "hotdogs"})
_SPLIT = re.compile(r"[^a-zà-ÿа-яёіїєґ]+")  # digits split too: dog1 is a dog
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_ACCENTS = str.maketrans("àáâãäåçèéêëìíîïñòóôõöùúûüýÿšžčřěů", "aaaaaaceeeeiiiinooooouuuuyyszcreu")

# What a file name says about its picture's variant, not its subject: resolutions, light and
# dark versions, orientation, mirrored copies, numbering.
_VARIANT = re.compile(
    r"(\d{3,5}x\d{3,5}|[-_](?:dark|light|d|l|portrait|landscape|mirror|small|large|thumb|"
    r"illum|fog|hd|uhd|no-logo|nologo)\b|[-_ ]?\d+$|[-_ ]+$)",
)
_GENERIC = frozenset(
    {"", "contents", "images", "images_dark", "image", "img", "data", "screenshot"}
)


def tokens(path: str) -> list[str]:
    """The words of a path, lower case, accents dropped, camelCase split."""
    text = _CAMEL.sub(" ", path).lower().translate(_ACCENTS)
    return [word for word in _SPLIT.split(text) if word]


def names_a_pet(path: str) -> bool:
    """Whether a file's path names a cat, a dog or a close wild cousin, in any language we know."""
    if any(part in path for part in PET_SUBSTRINGS):
        return True
    for word in tokens(path):
        if word in PET_WORDS:
            return True
        if word.endswith(PET_SUFFIXES) and word not in SUFFIX_FALSE_FRIENDS:
            return True
    return False


def group_key(path: str, rules: tuple[tuple[str, str], ...] = ()) -> str:
    """The name shared by every variant of one picture: the first rule that matches (a regular
    expression and the name it gives, as in re.Match.expand), else the file name without its
    variant words, else its nearest telling folder."""
    for pattern, name in rules:
        found = re.search(pattern, path, re.IGNORECASE)
        if found:
            return found.expand(name).lower()
    parts = PurePosixPath(path).parts
    stem = PurePosixPath(path).stem.lower()
    previous = None
    while previous != stem:
        previous, stem = stem, _VARIANT.sub("", stem)
    folders = [part.lower() for part in parts[:-1]]
    while stem in _GENERIC and folders:
        stem = folders.pop()
    return stem


class Groups:
    """Union-find over keys: two keys joined once are the same group forever."""

    def __init__(self) -> None:
        self._parent: dict[str, str] = {}

    def find(self, key: str) -> str:
        self._parent.setdefault(key, key)
        while self._parent[key] != key:
            self._parent[key] = self._parent[self._parent[key]]
            key = self._parent[key]
        return key

    def join(self, first: str, second: str) -> None:
        a, b = sorted((self.find(first), self.find(second)))
        self._parent[b] = a
