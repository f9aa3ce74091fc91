"""A do-nothing scikit-learn fit callback for the tests to build on."""


class QuietCallback:
    """Follows the FitCallback protocol with hooks that do nothing.

    Tests subclass it and override the hook they watch, usually
    ``on_fit_task_end`` (whose context has a parent for an epoch sub-task).
    """

    def setup(self, estimator, context):
        pass

    def teardown(self, estimator, context):
        pass

    def on_fit_task_begin(self, estimator, context):
        pass

    def on_fit_task_end(self, estimator, context):
        pass
