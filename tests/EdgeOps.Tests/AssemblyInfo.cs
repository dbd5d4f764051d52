using Xunit;

// Simulated devices share this machine's kernel (swap, loop devices, mounts): test classes run one after another.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
