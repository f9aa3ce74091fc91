"""Data-parallel training on a Dask cluster: the data stays on the workers.

When ``fit``, ``partial_fit``, ``predict`` (and its kind) or ``score`` is
given a Dask array or Dask DataFrame, the rows are never brought to the
client. Dask is an optional dependency, recognised before scikit-learn's
input validation and only when already imported (``_dask_collections``).
This module trains on Dask input; ``_cluster_predict`` predicts and scores
on it, and ``_cluster_shard`` evaluates a worker's shard for L-BFGS.

The blocks on the workers
-------------------------
A fit needs a ``dask.distributed.Client`` (``current_client``): without
one it raises a ``ValueError`` saying so, rather than computing the data
with the local scheduler (which would gather it into this process). X (its
column chunks joined), y and sample_weight must have the same, known row
chunks (a DataFrame's are computed with ``lengths=True``; a NumPy y or
sample_weight is split along X's rows). Each block is then checked
(``check_X_y``: NaN, infinity, dtype) and converted to the training dtype
(CSR for sparse blocks; a block already C-ordered in that dtype is not
copied), its targets encoded and its weights built, by functions mapped
over the blocks *on the workers* (:func:`_checked_block`,
:func:`_prepared_block`, :func:`_encoded_block`). The prepared blocks are
persisted there as futures, one per block, computed from the source graph:
a worker lost during the fit has its blocks recomputed from that graph by
Dask.

The preparation is one round trip: one graph of a task per block and a task
summarising it, each annotated with the block's worker, and the training
rows' L-BFGS actors (below), gathered together. A regressor's encoding
depends on y's columns only (it is read from an empty y of their shape, on
the client), and each block is checked and encoded in one task, summarised
by its rows, Σs, best constant and target columns. A classifier's encoding
needs every label: each block is checked, its y kept as its sorted labels
and the index of each row's label in them (:func:`_labelled_block`), and
summarised by its labels with their counts and Σ sample_weight
(:func:`_label_summary`); the client combines them into ``classes_`` and
the ``class_weight="balanced"`` weights, and each block's Σs and best
constant follow on the client from its Σs per label (the best constant of a
loss depends on the targets only through them). Encoding a block is then
encoding its few labels and taking their rows by the index; its blocks are
encoded when a task first needs them (a local SGD round, an evaluation
after a lost actor): an L-BFGS fit leaves that to its actors, which encode
their own blocks, so the workers do it once. A linear model's intercept
starts at the Σs-weighted mean of the blocks' best constants (exact for the
squared error; a start only, for the other losses: the optimum is the
same).

Each block is prepared on the worker that already holds its X block
(``client.who_has`` on a persisted X; of several holders, the one with the
fewest rows so far), so no X block moves between workers; a block not
computed yet goes to the worker with the fewest rows so far
(:func:`_block_workers`; ties go to the first address in sorted order).
The blocks of one worker form its *shard*. Every later task on a block or
a shard (the local SGD rounds, the scores of the validation rows, the
L-BFGS actor) is submitted to that worker (``workers=``) so that the
scheduler neither places nor steals it elsewhere while the worker lives;
``allow_other_workers=True`` lets it run elsewhere (where Dask recomputed
the blocks) once that worker is lost. The placement, and so the shards,
follow where the data is: deterministic given that placement, not chosen
by sgdlearn.

L-BFGS, data-parallel
---------------------
``_training.train_lbfgs`` runs unchanged on :class:`ClusterData`, whose
``full_batch`` answers J/Σs and its gradient at θ with one call per worker
per evaluation: θ (small) is sent to every worker, which computes Σ s ℓ
and Σ s ∇ℓ of its shard's blocks, one block after the other, with the same
NumPy code as a single machine (``Objective.value_grad``, penalty left
out, the blocks read in place in cache-sized sub-blocks); the small
results (a float and a gradient per worker) are gathered and summed on the
client, and the penalty is added there. Each shard is evaluated by a Dask
actor on its worker that holds the shard's blocks
(``_cluster_shard.ShardEvaluation``), created in the preparation's round
trip; the first call of a fit also sends the data term (and a
classifier's encoding), later calls θ alone. A method call goes to the
worker and back without a task's trips through the scheduler's state
machine, a fraction of the time of a task and the gather of its result
(:class:`_Shards`; ``benchmarks/cluster.py`` times the fits). The iterates
are those of one process up to the order of floating-point sums: the
optimum is the single-machine one.

Stochastic solvers: local SGD with parameter averaging
------------------------------------------------------
One epoch is one round: every worker runs one epoch of the chosen solver
(``_training.run_epoch``, on a Dataset of the blocks of its shard, run on
that worker) from
the same θ and optimizer state, with its own random generator, on its share of the
objective (data term of its rows; the penalty scaled by its share Σs_w/Σs,
so the shares add up to J). The client then averages, weighted by each
worker's Σs_w: θ, the optimizer's state arrays (SGD's velocity, Adagrad's
and RMSprop's squared-gradient accumulators, Adam's moments) and the
iterate average's mean; step counters (Adam's t, the schedule's step, the
average's count) take the largest worker's value; scratch buffers are
not averaged. The round's loss is the Σs_w-weighted mean of the workers'
epoch losses; ``n_iter_`` counts rounds and ``t_`` the samples of all
workers. The shards are in the order of their first block, and each
shard's generator seed depends only on ``random_state`` and that order:
given where the blocks are (or, for data not computed yet, the blocks'
rows and the number of workers), the fit gives bitwise the same model,
also when a lost worker's shard was recomputed elsewhere.

One-shot averaging of models trained on disjoint shards reaches the
optimum's neighbourhood for convex losses, with a variance reduced by the
number of shards (Zinkevich, Weimer, Li & Smola, "Parallelized Stochastic
Gradient Descent", NIPS 2010); averaging periodically, here after each
local epoch, converges at the rate of mini-batch SGD on all the data for
smooth (strongly) convex problems as long as the local steps between
averagings are not too many for the step size (Stich, "Local SGD
converges fast and communicates little", ICLR 2019). What it means in
practice: a round moves θ about as far as one epoch over one worker's
share (the average of K moves each made on 1/K of the data), so a round
makes the progress of 1/K of a single-machine epoch with K workers, at
K times the throughput; the learning rate and batch size act on each
worker as on a single machine, and the steps between averagings are the
worker's batches per epoch, so a smaller step (or a decaying schedule)
lets the averaged model settle at the optimum. For the non-convex MLPs
averaging works in practice from a common start each round, without the
guarantee. ``partial_fit`` on Dask input runs one round over its blocks.

Validation
----------
Early stopping needs a given validation set (``X_val``, ``y_val`` as Dask
collections, prepared on the workers as the training blocks): the
validation fraction cannot be held out of Dask input (a ``ValueError``
says so). Each epoch the validation set's raw outputs (n_val × n_outputs,
small next to X_val) are computed on the workers and gathered, and scored
on the client with the estimator's own score against its targets, gathered
once. The check that X_val looks like X is skipped on Dask input.

Predictions and scores on Dask input are ``_cluster_predict``'s.

Faults
------
A worker lost during a fit is handled by Dask: its blocks are recomputed
from their source and its tasks rerun, and the fit goes on to the same
result. An L-BFGS actor dies with its worker; the call that finds it gone
(any failed call) releases the actors, and that evaluation and every later
one run as tasks on the shards' blocks (one task per worker, the same
sums in the same order), which Dask recomputes like any other. When Dask
gives up (``KilledWorker``, a cancelled future), the fit raises a
``RuntimeError`` naming what was lost and saying that the model was not
changed (the engine's rollback restores it): a model trained on part of
the data is never returned. While no worker is left at all, the fit waits
for one, as any Dask computation does.

Memory
------
The blocks are persisted, not streamed from their source each iteration:
no block is ever gathered, and each worker holds the prepared blocks of
its shard (their memory is what Dask counts for them: a Dataset reports
its arrays' bytes). A data set larger than one worker's memory trains as
long as the cluster as a whole holds it with room for each worker's own
imports (Dask spills to disk beyond that, if the cluster allows it); a
prepared block shares X's memory when the source block is already C-ordered
in the training dtype. Since blocks are prepared where they are, each
worker's share is what the source placed on it: a persisted X that sits
unevenly on the workers trains unevenly (in memory and in time per
iteration) rather than being moved; rebalance it (``client.rebalance``)
or rechunk it before the fit if that matters. A round of the stochastic
solvers joins a worker's blocks into one Dataset for the epoch, so it
briefly needs twice that worker's share; the joined copy is not kept
between rounds, since holding it would double every worker's memory for
the whole fit to save a copy that costs little next to the epoch itself.
L-BFGS works block by block, on the blocks in place; a classifier's actor
holds its own encoded targets (and class-weighted sample weights), small
next to X.
"""

import functools
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.utils.validation import (
    _check_feature_names,
    _check_n_features,
    _check_sample_weight,
    check_X_y,
    column_or_1d,
)

from ._cluster_shard import ShardEvaluation, shard_value_grad
from ._dask_collections import (
    aligned,
    as_array,
    current_client,
    delayed,
    is_dask_collection,
    pandas_meta,
    require_dask_X,
    row_blocks,
)
from ._losses import make_loss
from ._objective import Objective, Params
from ._penalties import ElasticNet
from ._training import (
    Dataset,
    FitData,
    Validation,
    astuple_shallow,
    pack_component,
    pack_state,
    unpack_component,
    unpack_state,
    zero_weights_error,
)

# -- checking Dask input on the client -------------------------------------


def _training_X(estimator, X, reset):
    """X as a 2-D Dask array with one column chunk; n_features_in_ and
    feature_names_in_ checked (or set) as validate_data does."""
    require_dask_X(X)
    _check_feature_names(estimator, pandas_meta(X), reset=reset)
    X = as_array(X, "X")
    if X.ndim != 2:
        raise ValueError(f"Expected a 2D Dask array for X, got {X.ndim} dimension(s).")
    if X.shape[0] == 0:
        raise ValueError(
            "X is an empty Dask array (0 samples): there is nothing to fit."
        )
    _check_n_features(estimator, X, reset=reset)
    return X.rechunk({1: -1}) if X.numblocks[1] > 1 else X


def _on_cluster(X_val, X):
    """A validation X given in memory as a Dask array in row chunks of X's
    largest (it is sent to the workers once); a Dask collection as it is.
    (X's first chunk may be a small remainder, or empty after filtering.)"""
    import dask.array as da

    if is_dask_collection(X_val):
        return X_val
    return da.from_array(X_val, chunks=(max(X.chunks[0]), -1), asarray=False)


def _training_dtype(X, old_state):
    """float32 for float32 data, else float64; a continued fit keeps its own."""
    if old_state is not None:
        return old_state.theta.dtype
    return np.dtype(np.float32 if X.dtype == np.float32 else np.float64)


# -- the fit's data -----------------------------------------------------------


def prepare_data(estimator, parts, request):
    """``_engine.FitData`` of Dask input: the blocks prepared on the workers."""
    X, y, sample_weight, validation, incremental, classes, old_state, known = (
        astuple_shallow(request)
    )
    targets, spec = parts.targets, parts.solver
    X_val, y_val, sw_val = validation if validation is not None else (None,) * 3
    if X_val is None and spec.holds_out(incremental):
        raise ValueError(
            "early_stopping=True on Dask input needs a validation set given as "
            "fit(..., X_val=..., y_val=...): validation_fraction cannot hold "
            "out rows of a Dask collection. Pass X_val and y_val (Dask or NumPy)."
        )
    client = current_client()
    X = _training_X(estimator, X, reset=old_state is None)
    y = aligned(y, X, "y")
    sample_weight = aligned(sample_weight, X, "sample_weight")
    dtype = _training_dtype(X, old_state)

    if targets.y_numeric:
        encoding = _regression_encoding(targets, y, dtype, known)
        blocks = _BlockPreparation(
            targets, encoding, dtype, make_loss(encoding["_loss_"])
        )
        spec.check(blocks.loss)
        train = blocks.persist(client, X, y, sample_weight, evaluated=True)
    else:
        blocks, train = _persist_labelled(
            targets, spec, client, (X, y, sample_weight), dtype, request
        )
    encoding, loss = blocks.encoding, blocks.loss
    if not train.weight_total > 0:
        raise zero_weights_error()
    val = None
    if X_val is not None:
        val = _validation(estimator, client, blocks, X, X_val, y_val, sw_val)
    # the blocks were converted on the workers; the fit and the callbacks see
    # X in the training dtype (lazily: nothing is computed here)
    X = X if X.dtype == dtype else X.astype(dtype)
    return FitData(X, y, sample_weight, train, val, encoding, loss)


def _validation(estimator, client, blocks, X, X_val, y_val, sample_weight_val):
    """The validation rows prepared on the workers as the training blocks
    (``blocks``), their targets gathered once, and the estimator's score."""
    X_val = _training_X(estimator, _on_cluster(X_val, X), reset=False)
    rows = blocks.persist(
        client,
        X_val,
        aligned(y_val, X_val, "y_val"),
        aligned(sample_weight_val, X_val, "sample_weight_val"),
    )
    Y_val, w_val = rows.gathered_targets()
    targets, loss, encoding = blocks.targets, blocks.loss, blocks.encoding
    return Validation(
        _ValidationRows(rows, Y_val, w_val),
        lambda raw: targets.score(loss, raw, Y_val, w_val, encoding),
    )


def _regression_encoding(targets, y, dtype, known):
    """The regression targets' encoding: it depends on y's columns only,
    so it is read from an empty y of that shape and dtype, on the client
    (each block's targets are checked on its worker)."""
    empty = np.empty((0, *y.shape[1:]), dtype=y.dtype)
    return targets.encode(empty, dtype, known=known)[1]


def _persist_labelled(targets, spec, client, data, dtype, request):
    """(:class:`_BlockPreparation`, :class:`ClusterData`) of a classifier's
    training blocks, in one pass over the blocks.

    The blocks are checked and converted on their workers, and each
    returns the summary of its labels (:func:`_label_summary`); from these
    the client finds ``classes_``, the class weights, each block's Σs and
    best constant (functions of its Σs per label). The encoding of each
    block is then a task on its worker (:func:`_encoded_block`), not waited
    for: the fit's first tasks wait for it.
    """
    X, y, _ = data
    if y.ndim > 1 and y.shape[1] > 1:
        raise ValueError(
            "Multilabel (2-D) targets are not supported on Dask input: give y "
            "as a 1-D Dask array of labels, or compute it."
        )
    check = functools.partial(_labelled_block, dtype=dtype)
    checked, summaries, owners = _placed(client, data, check, _label_summary)
    summaries, actors = _with_evaluators(client, checked, owners, summaries)
    labels, inverse = np.unique(
        np.concatenate([found for _, found, _, _ in summaries]), return_inverse=True
    )
    totals = np.bincount(  # Σ sample_weight per label (counts without weights)
        inverse, weights=np.concatenate([w for _, _, _, w in summaries])
    )
    if request.known is not None and not request.incremental:
        targets.check_warm_start(labels, request.known)
    Y, encoding = targets.encode(
        labels, dtype, known=request.known, classes=request.classes
    )
    class_weights = None
    if targets.uses_class_weight(encoding, request.incremental):
        fitted = encoding["classes_"]
        per_class = np.zeros(fitted.size)
        per_class[np.searchsorted(fitted, labels)] = totals
        class_weights = targets.class_weights(fitted, per_class)
    preparation = _BlockPreparation(
        targets, encoding, dtype, make_loss(encoding["_loss_"])
    )
    spec.check(preparation.loss)
    stats = preparation.label_stats(summaries, labels, Y, class_weights)
    encoder = (_encoded_block, preparation, class_weights)
    data = ClusterData(client, checked, owners, stats, actors, encoder)
    return preparation, data


def _by_worker(owners):
    """[(worker, indices of its blocks)]: one shard per worker, its blocks
    in order, the shards in the order of their first block (so a shard's
    place does not depend on the worker's address)."""
    shards = {}
    for i, owner in enumerate(owners):
        shards.setdefault(owner, []).append(i)
    return list(shards.items())


def _with_evaluators(client, blocks, owners, futures):
    """(results of ``futures``, actors): gathered in one round trip with the
    creation of one ``ShardEvaluation`` actor per shard of ``blocks``. If a
    worker is lost while its actor is created (distributed then fails the
    actor: "Worker holding Actor was lost"), the actors are None and the
    fit evaluates with tasks (:class:`_Shards`)."""
    actors = [
        client.submit(
            ShardEvaluation,
            *[blocks[i] for i in shard],
            actor=True,
            pure=False,
            **_on(owner),
        )
        for owner, shard in _by_worker(owners)
    ]
    try:
        results = _gather(client, futures + actors)
    except RuntimeError:
        client.cancel(actors)
        return _gather(client, futures), None
    return results[: len(futures)], results[len(futures) :]


@dataclass(frozen=True)
class _BlockPreparation:
    """How each block is checked, converted and encoded on its worker."""

    targets: object
    encoding: dict
    dtype: np.dtype
    loss: object

    def persist(self, client, X, y, sample_weight, evaluated=False):
        """:class:`ClusterData` of the prepared blocks (:func:`_placed`),
        the targets encoded with the known encoding, no class weights; with
        the shards' actors if ``evaluated`` (training rows)."""
        blocks, stats, owners = _placed(
            client,
            (X, y, sample_weight),
            functools.partial(_prepared_block, preparation=self),
            functools.partial(_block_stats, loss=self.loss),
        )
        if not evaluated:
            return ClusterData(client, blocks, owners, _gather(client, stats))
        stats, actors = _with_evaluators(client, blocks, owners, stats)
        return ClusterData(client, blocks, owners, stats, actors)

    def label_stats(self, summaries, labels, Y, class_weights):
        """[(rows, Σs, constant summary, target columns)] of the blocks from
        their :func:`_label_summary` (all their ``labels`` sorted, encoded
        as ``Y``): the loss's summary for the best constant
        (``constant_summary``) depends only on the Σs of each label."""
        factor = np.ones(labels.size)
        if class_weights is not None:
            classes = self.encoding["classes_"]
            factor = class_weights[np.searchsorted(classes, labels)]
        stats = []
        for rows, found, _, weights in summaries:
            index = np.searchsorted(labels, found)
            weights = weights * factor[index]
            summary = self.loss.constant_summary(Y[index], weights)
            stats.append((rows, float(weights.sum()), summary, Y.shape[1]))
        return stats


def _placed(client, data, prepare, summarise):
    """(blocks, summaries, workers): futures of ``prepare(X block, y block,
    weight block)`` for every non-empty row block of ``data`` (X, y,
    sample_weight) and of ``summarise(block)``, both computed on the worker
    :func:`_block_workers` gives the block (where its X block already is),
    another one only if that worker is lost; the blocks of a worker form
    its shard. One graph for all (one message to the scheduler)."""
    import dask

    X, y, sample_weight = data
    X_blocks, y_blocks = row_blocks(X), row_blocks(y)
    w_blocks = row_blocks(sample_weight) or [None] * len(X_blocks)
    kept = [i for i, rows in enumerate(X.chunks[0]) if rows > 0]
    owners = _block_workers(client, X, X_blocks, kept)
    tasks = []
    for i, owner in zip(kept, owners):
        with dask.annotate(**(_on(owner) if owner is not None else {})):
            block = delayed(prepare)(X_blocks[i], y_blocks[i], w_blocks[i])
            tasks += [block, delayed(summarise)(block)]
    futures = client.compute(tasks)
    return futures[::2], futures[1::2], owners


def _block_workers(client, X, X_blocks, kept):
    """The worker each block of ``kept`` (indices of X's row blocks) is
    prepared on: one that already holds its X block (``client.who_has`` on
    persisted X), the least loaded in rows of them; a block not held yet
    goes to the worker with the fewest rows so far. Ties go to the first
    address in sorted order, so the placement is deterministic given where
    the blocks are. None (any worker) while the cluster has none. When
    every block is held, the workers holding them are the candidates (one
    request to the scheduler, not two)."""
    from distributed import futures_of

    held = client.who_has(futures_of(X)) if futures_of(X) else {}
    holders = {i: held.get(X_blocks[i].key, ()) for i in kept}
    if all(holders.values()):  # the workers holding X are all it takes
        workers = sorted({w for found in holders.values() for w in found})
    else:
        workers = sorted(client.nthreads())
    if not workers:
        return [None] * len(kept)
    load = dict.fromkeys(workers, 0)
    owners = {}
    rows = X.chunks[0]

    def least_loaded(candidates):
        return min(candidates, key=lambda w: (load[w], workers.index(w)))

    for i in kept:
        found = [w for w in holders[i] if w in load]
        if found:
            owners[i] = least_loaded(found)
            load[owners[i]] += rows[i]
    for i in kept:
        if i not in owners:
            owners[i] = least_loaded(workers)
            load[owners[i]] += rows[i]
    return [owners[i] for i in kept]


def _on(worker):
    """Keywords of ``Client.submit`` that run a task on ``worker`` (its
    blocks are there), or on another worker once that one is lost (None:
    anywhere)."""
    return {"workers": worker, "allow_other_workers": worker is not None}


def _on_each(client, function, blocks, owners, *args):
    """Futures of ``function(block, *args)`` for every block, each submitted
    to the block's worker (``owners``)."""
    return [
        client.submit(function, block, *args, pure=False, **_on(owner))
        for block, owner in zip(blocks, owners)
    ]


def _checked_block(X, y, sample_weight, dtype, y_numeric):
    """(X, y, sample_weight) of a block checked and converted to ``dtype``
    (CSR for sparse X), y not encoded yet (runs on a worker)."""
    X, y = check_X_y(
        X,
        y,
        accept_sparse="csr",
        dtype=dtype,
        order="C",
        multi_output=True,
        y_numeric=y_numeric,
    )
    if sample_weight is not None:
        # a block may weigh nothing; only a total of 0 is an error (client)
        sample_weight = _check_sample_weight(
            sample_weight,
            X,
            dtype=np.float64,
            ensure_non_negative=True,
            allow_all_zero_weights=True,
        ).astype(dtype)
    return X, y, sample_weight


def _labelled_block(X, y, sample_weight, dtype):
    """(X, labels, label index of each row, sample_weight) of a classifier's
    block checked and converted (:func:`_checked_block`): y as its sorted
    labels and each row's index in them (runs on a worker)."""
    X, y, sample_weight = _checked_block(X, y, sample_weight, dtype, False)
    labels, index = np.unique(column_or_1d(y), return_inverse=True)
    return X, labels, index.reshape(-1), sample_weight


def _label_summary(labelled):
    """(rows, labels, count and Σ sample_weight of each label) of a
    block of :func:`_labelled_block`."""
    _, labels, index, sample_weight = labelled
    counts = np.bincount(index, minlength=labels.size).astype(np.float64)
    if sample_weight is None:
        return len(index), labels, counts, counts
    weights = np.bincount(index, weights=sample_weight, minlength=labels.size)
    return len(index), labels, counts, weights


def _encoded_block(labelled, preparation, class_weights):
    """A block of :func:`_labelled_block` as a :class:`Dataset`: each row's
    targets are those of its label (the block's few labels encoded, then
    taken row by row), its class weight in its sample weight."""
    X, labels, index, sample_weight = labelled
    dtype, encoding = preparation.dtype, preparation.encoding
    Y, _ = preparation.targets.encode(labels, dtype, known=encoding)
    if class_weights is not None:
        factor = class_weights[np.searchsorted(encoding["classes_"], labels)]
        factor = factor.astype(dtype)[index]
        sample_weight = factor if sample_weight is None else factor * sample_weight
    return Dataset(X, Y[index], sample_weight)


def _prepared_block(X, y, sample_weight, preparation):
    """A block as a checked, encoded :class:`Dataset`, with the known
    encoding and without class weights (runs on a worker)."""
    X, y, sample_weight = _checked_block(
        X, y, sample_weight, preparation.dtype, preparation.targets.y_numeric
    )
    Y, _ = preparation.targets.encode(y, preparation.dtype, known=preparation.encoding)
    return Dataset(X, Y, sample_weight)


def _block_stats(data, loss):
    """(rows, Σs, the loss's constant summary, target columns) of a
    prepared block."""
    summary = loss.constant_summary(data.Y, data.sample_weight)
    return data.n_samples, data.weight_total, summary, data.n_targets


# -- talking to the workers ----------------------------------------------------


def _gather(client, futures):
    """The results of ``futures``; a lost worker Dask could not recover
    becomes a RuntimeError saying the model was not changed."""
    from distributed import KilledWorker
    from distributed.client import FutureCancelledError

    try:
        return client.gather(futures)
    except (KilledWorker, FutureCancelledError) as exc:
        raise RuntimeError(
            f"A Dask worker was lost during the fit and Dask could not recover "
            f"its work ({type(exc).__name__}: {exc}). The model was not changed; "
            "fit again once the cluster is healthy."
        ) from exc


def _rescaled(objective, weight_total, alpha_share):
    """The objective with Σs ``weight_total`` and alpha times ``alpha_share``:
    (1.0, 0) is the data term Σ s ℓ alone; a worker's share of J is its Σs_w
    and the penalty's share Σs_w/Σs."""
    penalty = objective.penalty
    return Objective(
        objective.network,
        objective.loss,
        ElasticNet(penalty.alpha * alpha_share, penalty.l1_ratio),
        weight_total=weight_total,
        fit_intercept=objective.fit_intercept,
        constant_outputs=objective.constant_outputs,
    )


def _params(objective, theta):
    return Params(theta, objective.network.layout)


class ClusterData:
    """Training rows held on the workers as prepared blocks (futures).

    It answers what the training loops ask of a ``_training.Dataset``
    (``n_samples``, ``weight_total``, ``best_constant``, ``full_batch``,
    ``epoch_runner``, ``sample_loss``, ``predict_raw``) with tasks on the
    blocks' workers and small results on the client.
    """

    def __init__(self, client, blocks, owners, stats, evaluators=None, encoder=None):
        rows, weights, summaries, n_targets = map(np.asarray, zip(*stats))
        self.client = client
        self.owners = owners
        self._blocks = blocks
        # None, or (function, *args) that makes each block a Dataset,
        # ``function(block, *args)``: on the workers, when first needed
        self.encoder = encoder
        self._encoded = encoder is None
        self._shards = [
            (owner, shard, weights[shard].sum()) for owner, shard in _by_worker(owners)
        ]
        # the shards' actors, for :class:`_Shards` (None: none, or lost)
        self.evaluators = evaluators
        self.n_samples = int(rows.sum())
        self.weight_total = float(weights.sum())
        self._weights = weights
        self._summaries = summaries
        self.n_targets = int(n_targets[0])

    @property
    def blocks(self):
        """Futures of the prepared blocks (Datasets), one per block; the
        first access submits their encoding if they need one."""
        if not self._encoded:
            function, *args = self.encoder
            self._blocks = _on_each(
                self.client, function, self._blocks, self.owners, *args
            )
            self._encoded = True
        return self._blocks

    @property
    def shards(self):
        """[(worker, its blocks' futures in order, its Σs)]."""
        blocks = self.blocks
        return [
            (owner, [blocks[i] for i in shard], weight)
            for owner, shard, weight in self._shards
        ]

    def best_constant(self, loss):
        """The best constant of all the rows, from the blocks' summaries
        (``loss.combined_constant``)."""
        return loss.combined_constant(self._summaries, self._weights)

    def _map(self, function, *args):
        """``function(block, *args)`` of every block, run on its worker."""
        futures = _on_each(self.client, function, self.blocks, self.owners, *args)
        return _gather(self.client, futures)

    def _per_shard(self, function, *args):
        """``function(*args, *blocks)`` of every shard, run on its worker."""
        futures = [
            self.client.submit(function, *args, *blocks, pure=False, **_on(owner))
            for owner, blocks, _ in self.shards
        ]
        return _gather(self.client, futures)

    def full_batch(self, objective, dtype):
        """``value_grad(params, grads)`` over every block: the data term on
        the workers (one call per worker over its shard, :class:`_Shards`),
        summed and penalised on the client."""
        evaluate = _Shards(self, _rescaled(objective, 1.0, 0.0))
        scale = 1.0 / objective.weight_total

        def value_grad(params, grads):
            results = evaluate(params.theta)
            grads.theta[...] = sum(grad for _, grad in results)
            grads.theta *= scale
            objective.penalty.add_smooth_grad(params.coef, grads.coef, scale)
            objective.penalty.add_l1_subgradient(params.coef, grads.coef, scale)
            value = sum(loss for loss, _ in results)
            return value * scale + objective.penalty_per_sample(params)

        return value_grad

    def epoch_runner(self, objective, state, config):
        """One round of local SGD: an epoch on every worker, then the average."""

        def run_round():
            shards = self.shards
            seeds = state.rng.integers(np.iinfo(np.int64).max, size=len(shards))
            packed = pack_state(state)
            futures = []
            for (owner, blocks, share), seed in zip(shards, seeds):
                local = _rescaled(objective, share, share / objective.weight_total)
                futures.append(
                    self.client.submit(
                        _local_epoch,
                        local,
                        packed,
                        int(seed),
                        config,
                        *blocks,
                        pure=False,
                        **_on(owner),
                    )
                )
            results = _gather(self.client, futures)
            shares = np.array([r["weight"] for r in results]) / self.weight_total
            return _average_into(state, results, shares)

        return run_round

    def sample_loss(self, objective, params):
        """The blocks' sample losses (``Dataset.sample_loss``), Σs-weighted."""
        losses = self._map(_block_sample_loss, objective, params.theta)
        return float(np.average(losses, weights=self._weights))

    def predict_raw(self, objective, params):
        """Raw outputs of every row, gathered (validation: n × outputs)."""
        return np.vstack(self._map(_block_raw, objective, params.theta))

    def gathered_targets(self):
        """(Y, sample_weight) of every row (validation targets), gathered."""
        parts = self._map(_block_targets)
        Y = np.vstack([Y for Y, _ in parts])
        if all(w is None for _, w in parts):
            return Y, None
        weights = [np.ones(len(Y), Y.dtype) if w is None else w for Y, w in parts]
        return Y, np.concatenate(weights)


class _Shards:
    """The shards' (Σ s ℓ, Σ s ∇ℓ) at θ, for one L-BFGS fit.

    Each worker's shard is held by an actor on that worker
    (``_cluster_shard.ShardEvaluation``, created with the blocks, in the
    round trip that prepared them), and an evaluation is one method call
    per actor; the first call of a fit also sends the data term
    ``objective`` (and, for a classifier, how to encode the blocks). If a
    call fails (its worker was lost, and the actor with it), the actors are
    released and this and every later evaluation run as tasks on the
    shards' blocks, which Dask recomputes where it can: the fit goes on to
    the same result, or raises the RuntimeError of :func:`_gather`.

    A call is waited for in steps of :data:`ACTOR_POLL_SECONDS`; after each,
    a call whose actor's worker has left the cluster counts as failed.
    (distributed may leave the call of an actor lost with its worker
    unanswered, for instance while it recomputes the actor elsewhere and
    then retries at the old address: that must not stop the fit.)
    """

    def __init__(self, data, objective):
        self.data = data
        self.objective = objective
        self._setup = None
        if data.evaluators is not None:
            self._setup = (objective, data.encoder)

    def __call__(self, theta):
        if self.data.evaluators is not None:
            actors, setup = self.data.evaluators, self._setup
            try:
                calls = [actor.value_grad(theta, setup) for actor in actors]
                results = [
                    _actor_result(self.data.client, actor, call)
                    for actor, call in zip(actors, calls)
                ]
                self._setup = None
                return results
            except Exception:  # an actor's worker was lost: go on with tasks
                self.data.evaluators = None
        # the objective (small: no data) goes with each task; a broadcast
        # of it could reach for the lost worker before the scheduler drops
        # it and fail the fit (CommClosedError)
        return self.data._per_shard(shard_value_grad, self.objective, theta)


# Seconds between checks that an actor's worker is still there while its
# call runs (the call may take as long as it needs while it is).
ACTOR_POLL_SECONDS = 2.0


class ActorLost(RuntimeError):
    """An actor's worker left the cluster while its call was running."""


def _actor_result(client, actor, call):
    """The result of ``call``, a method call of ``actor``; :class:`ActorLost`
    once the actor's worker is no longer one of the cluster's workers."""
    while True:
        try:
            return call.result(timeout=ACTOR_POLL_SECONDS)
        except TimeoutError:
            # (a client between connections knows no workers: then the
            # call is given up too, and the fit goes on with tasks)
            if actor._address not in client.scheduler_info().get("workers", {}):
                raise ActorLost(f"the worker {actor._address} was lost") from None


@dataclass(frozen=True)
class _ValidationRows:
    """Validation rows on the workers, with their targets on the client."""

    source: ClusterData
    Y: np.ndarray
    sample_weight: np.ndarray | None

    def predict_raw(self, objective, params):
        return self.source.predict_raw(objective, params)


def _average_into(state, results, shares):
    """Write the workers' average into ``state``; return the round's loss.

    θ, the optimizer's state arrays and the iterate average's mean are
    averaged with weights ``shares`` (Σs_w/Σs); counters take the largest
    value; scratch buffers (names starting with '_') the first worker's.
    """
    theta = sum(
        share * r["theta"].astype(np.float64) for r, share in zip(results, shares)
    )
    np.copyto(state.theta, theta, casting="unsafe")
    for name in ("optimizer", "average"):
        packed = [r[name] for r in results]
        if packed[0] is not None:
            setattr(state, name, unpack_component(_average_component(packed, shares)))
    state.step = max(r["step"] for r in results)
    if state.initial_loss is None:
        state.initial_loss = float(np.dot(shares, [r["initial_loss"] for r in results]))
    return float(np.dot(shares, [r["loss"] for r in results]))


def _average_component(packed, shares):
    """One packed optimizer or iterate average from the workers' (see
    :func:`_average_into`)."""
    fields = {}
    for name, first in packed[0]["fields"].items():
        values = [p["fields"][name] for p in packed]
        if isinstance(first, np.ndarray) and not name.startswith("_"):
            mean = sum(s * v.astype(np.float64) for s, v in zip(shares, values))
            fields[name] = mean.astype(first.dtype)
        elif isinstance(first, int | np.integer) and not isinstance(first, bool):
            fields[name] = max(values)
        else:
            fields[name] = first
    return {"kind": packed[0]["kind"], "fields": fields}


# -- the tasks run on the workers ---------------------------------------------------


def _block_sample_loss(data, objective, theta):
    with np.errstate(all="ignore"):
        return data.sample_loss(objective, _params(objective, theta))


def _block_raw(data, objective, theta):
    return data.predict_raw(objective, _params(objective, theta))


def _block_targets(data):
    return data.Y, data.sample_weight


def _joined(blocks):
    """One Dataset of a worker's blocks."""
    if len(blocks) == 1:
        return blocks[0]
    Xs = [b.X for b in blocks]
    X = sp.vstack(Xs, format="csr") if sp.issparse(Xs[0]) else np.concatenate(Xs)
    Y = np.concatenate([b.Y for b in blocks])
    if all(b.sample_weight is None for b in blocks):
        return Dataset(X, Y, None)
    weights = [
        np.ones(b.n_samples, X.dtype) if b.sample_weight is None else b.sample_weight
        for b in blocks
    ]
    return Dataset(X, Y, np.concatenate(weights))


def _local_epoch(objective, packed, seed, config, *blocks):
    """One epoch of the solver on a worker's blocks from the common state."""
    data = _joined(blocks)
    state = unpack_state(packed)
    state.rng = np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        loss = data.epoch_runner(objective, state, config)()
    return {
        "loss": loss,
        "weight": data.weight_total,
        "theta": state.theta,
        "optimizer": pack_component(state.optimizer),
        "average": pack_component(state.average),
        "step": state.step,
        "initial_loss": state.initial_loss,
    }
