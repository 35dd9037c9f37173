namespace Nabla.Data;

/// <summary>
/// Chooses the sample indices of each epoch for a <see cref="DataLoader"/> (PyTorch's <c>Sampler</c>), for example
/// one process's shard of the data in data-parallel training.
/// </summary>
public abstract class Sampler
{
    /// <summary>How many indices <see cref="Order"/> returns for a dataset of <paramref name="datasetCount"/> samples.</summary>
    public abstract int Length(int datasetCount);

    /// <summary>
    /// The indices of one epoch, in order. Called once per epoch on the thread that starts it; all randomness must be
    /// drawn from <paramref name="generator"/>, so that a checkpoint of its state resumes the same order.
    /// </summary>
    public abstract int[] Order(int datasetCount, bool shuffle, Generator generator);
}
