"""Writes configs/imagenet_classes.txt: the 1000 ImageNet-1k class names, one per line, in label
order, taken from Debian's torchvision (torchvision.models._meta._IMAGENET_CATEGORIES).

    imagenet_classes.py [OUT]     (default: configs/imagenet_classes.txt beside tools/)
"""

import os
import sys

from torchvision.models._meta import _IMAGENET_CATEGORIES


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "configs",
                                                             "imagenet_classes.txt")
    names = list(_IMAGENET_CATEGORIES)
    if len(names) != 1000 or any("\n" in n or not n for n in names):
        sys.exit("imagenet_classes.py: error: expected 1000 one-line names, got %d" % len(names))
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(names) + "\n")
    print("wrote %s (%d names)" % (out, len(names)))


if __name__ == "__main__":
    main()
