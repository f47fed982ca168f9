//! Metric names that several experiments record and draw: each experiment
//! pushes rows with these constants and its chart specs read the same
//! constants, so a renamed metric cannot leave a chart silently empty.
//! Metrics that only one experiment uses are constants in its own file.

/// Loss of each update's own mini-batch.
pub const BATCH_LOSS: &str = "batch loss";
/// The batch loss, exponentially smoothed (0.9).
pub const BATCH_LOSS_SMOOTHED: &str = "batch loss (smoothed)";
/// Loss on the whole training set (regression).
pub const LOSS: &str = "loss";
/// Mean loss on the test set, after each epoch.
pub const TEST_LOSS: &str = "test loss";
/// Accuracy on the test set, after each epoch.
pub const TEST_ACCURACY: &str = "test accuracy";
/// Accuracy on the training set, after each epoch (when evaluated).
pub const TRAIN_ACCURACY: &str = "train accuracy";
/// 1 when the run diverged, 0 when it completed (one row at its last step).
pub const DIVERGED: &str = "diverged";

/// The metric name of an evaluation: `"{split} {metric}"` (`"test accuracy"`).
pub fn evaluation(split: &str, metric: &str) -> String {
    format!("{split} {metric}")
}
