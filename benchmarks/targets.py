"""Issue 5's targets, checked against one run's results.

Each target is a ratio ``sgdlearn ÷ comparator`` (smaller is better for
sgdlearn) with an upper limit; the memory target is peak extra memory ÷ the
bytes of X.
"""

DENSE_LINEAR = ("dense-regression", "dense-binary", "dense-10class")

# (workload, sgdlearn contender, comparator, metric, limit, description)
RATIO_TARGETS = [
    (
        "dense-regression",
        "sgdlearn",
        "sklearn-sgd",
        "per_epoch",
        0.35,
        "s/epoch ≤ 0.35 × SGDRegressor",
    ),
    (
        "dense-binary",
        "sgdlearn",
        "sklearn-sgd",
        "per_epoch",
        0.35,
        "s/epoch ≤ 0.35 × SGDClassifier",
    ),
    (
        "dense-10class",
        "sgdlearn-ovr",
        "sklearn-sgd",
        "per_epoch",
        0.10,
        "one-vs-rest s/epoch ≤ 0.10 × SGDClassifier one-vs-rest",
    ),
    (
        "dense-10class",
        "sgdlearn",
        "sklearn-sgd",
        "per_epoch",
        0.10,
        "softmax s/epoch ≤ 0.10 × SGDClassifier one-vs-rest",
    ),
    *[
        (
            name,
            "sgdlearn",
            "fastest-sklearn",
            "time_to_target",
            0.5,
            "time to target (defaults) ≤ 0.5 × fastest scikit-learn option",
        )
        for name in DENSE_LINEAR
    ],
    (
        "mlp-float32",
        "sgdlearn",
        "matmul-only",
        "per_epoch",
        1.3,
        "s/epoch ≤ 1.3 × the epoch's matrix products alone",
    ),
    (
        "mlp-float32",
        "sgdlearn",
        "sklearn-mlp",
        "per_epoch",
        0.5,
        "s/epoch ≤ 0.5 × scikit-learn MLPRegressor",
    ),
    (
        "mlp-float32",
        "sgdlearn",
        "torch",
        "per_epoch",
        0.8,
        "s/epoch ≤ 0.8 × PyTorch loop",
    ),
    (
        "sparse-binary",
        "sgdlearn-sgd",
        "sklearn-sgd",
        "per_epoch",
        1.0,
        "solver='sgd' (momentum=0, plain SGD) s/epoch ≤ 1.0 × SGDClassifier",
    ),
    (
        "sparse-binary",
        "sgdlearn-adagrad",
        "sklearn-sgd",
        "per_epoch",
        1.0,
        "solver='adagrad' s/epoch ≤ 1.0 × SGDClassifier",
    ),
]

MEMORY_LIMIT = 0.10  # peak extra memory during fit ÷ bytes of X, dense data


def _by_id(workload_result):
    return {c["id"]: c for c in workload_result["contenders"]}


def metric(contender, name):
    """Seconds per epoch (median) or seconds to the target, or None."""
    if contender is None or contender.get("error"):
        return None
    if name == "per_epoch":
        per_epoch = (contender.get("timing") or {}).get("per_epoch")
        return per_epoch["median"] if per_epoch else None
    reached = contender.get("time_to_target") or {}
    return reached.get("seconds") if reached.get("reached") else None


def fastest_sklearn(workload_result):
    """(contender, seconds): the scikit-learn contender fastest to the target."""
    times = [
        (c, metric(c, "time_to_target"))
        for c in workload_result["contenders"]
        if c.get("library") == "scikit-learn"
    ]
    times = [(c, t) for c, t in times if t is not None]
    return min(times, key=lambda pair: pair[1]) if times else (None, None)


def _ratio_target(results, workload, ours, theirs, name, limit, text):
    row = {"workload": workload, "target": text, "limit": limit, "measured": None}
    if workload not in results:
        return None
    contenders = _by_id(results[workload])
    if ours not in contenders:
        return None
    if theirs == "fastest-sklearn":
        comparator, their_value = fastest_sklearn(results[workload])
        row["comparator"] = comparator["label"] if comparator else None
    else:
        if theirs not in contenders:
            return None
        their_value = metric(contenders[theirs], name)
        row["comparator"] = contenders[theirs]["label"]
    our_value = metric(contenders[ours], name)
    row["sgdlearn"] = contenders[ours]["label"]
    if our_value is not None and their_value:
        row["measured"] = our_value / their_value
    row["met"] = row["measured"] is not None and row["measured"] <= limit
    if row["measured"] is None and name == "time_to_target" and their_value:
        spent = (contenders[ours].get("time_to_target") or {}).get("seconds")
        if spent:  # sgdlearn did not reach the target in the time it was given
            row["lower_bound"] = spent / their_value
    return row


def _memory_targets(results):
    rows = []
    for workload in DENSE_LINEAR + ("mlp-float32", "mlp-float64"):
        if workload not in results:
            continue
        for contender in results[workload]["contenders"]:
            memory = contender.get("memory") or {}
            if contender.get("library") != "sgdlearn" or "peak_extra_mb" not in memory:
                continue
            measured = memory["peak_extra_mb"] / memory["x_mb"]
            rows.append(
                {
                    "workload": workload,
                    "target": "peak extra memory in fit ≤ 10% of X",
                    "sgdlearn": contender["label"],
                    "comparator": "bytes of X",
                    "limit": MEMORY_LIMIT,
                    "measured": measured,
                    "met": measured <= MEMORY_LIMIT,
                }
            )
    return rows


def evaluate(results):
    """Every target that this run can check, as rows for the report and JSON."""
    rows = [_ratio_target(results, *target) for target in RATIO_TARGETS]
    return [row for row in rows if row is not None] + _memory_targets(results)
