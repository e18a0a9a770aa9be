"""The order of the gallery: the order in which the lecture teaches."""

LECTURE_ORDER = [
    "plot_sine_basis.py",
    "plot_network_composition.py",
    "plot_backprop_by_hand.py",
    "plot_optimizers.py",
    "plot_regularization.py",
    "plot_residual_networks.py",
    "plot_fitted_q_car_on_hill.py",
    "plot_grid_search_fqi.py",
    "plot_offline_evaluation.py",
    "plot_out_of_core.py",
]


class LectureOrder:
    """Sort key for sphinx-gallery's ``within_subsection_order``.

    Examples not listed come last, alphabetically.
    """

    def __init__(self, src_dir):
        self.src_dir = src_dir

    def __repr__(self):
        return f"<{self.__class__.__name__}>"

    def __call__(self, filename):
        if filename in LECTURE_ORDER:
            return (LECTURE_ORDER.index(filename), filename)
        return (len(LECTURE_ORDER), filename)
