"""Training of the MultiverSeg CrossBlock UNet (paper Algorithm 1): data split and packing, task sampling,
synthetic tasks, augmentations, interaction simulation, loss, loop, evaluation.

Everything that runs during training needs only torch and numpy, so a packed archive (`.pack/`) and this
folder are enough on a GPU machine. Packing (`Training/pack_data.py`) also needs Pillow and scikit-image.
"""
