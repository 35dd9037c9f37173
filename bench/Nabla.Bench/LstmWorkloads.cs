// The LSTM workloads of ../../shared/bench/README.md: nn.LSTM(64, 128), one layer, batch_first, input [32,50,64];
// linear 128->10 on h_n (the last step's hidden state); cross-entropy; Adam lr 1e-3. lstm_train is one training
// iteration (zero_grad in place + forward + loss + backward + step); lstm_fwd the forward only, under NoGrad, in
// eval mode.
using System.Text.Json.Nodes;
using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Bench;

internal static class LstmWorkloads
{
    private const int Batch = 32, Steps = 50, Input = 64, Hidden = 128, Classes = 10;

    public static IEnumerable<Workload> All() => [Make(train: true), Make(train: false)];

    private static Workload Make(bool train)
    {
        double macs = (Steps * ((Input * 4.0 * Hidden) + (Hidden * 4.0 * Hidden))) + (Hidden * Classes);
        var p = new JsonObject
        {
            ["batch"] = Batch, ["input"] = new JsonArray(Batch, Steps, Input),
            ["model"] = "LSTM(64, 128, batch_first) -> h_n -> linear 128->10",
            ["loss"] = train ? "cross_entropy, random labels" : "none (forward only, NoGrad, eval)",
            ["optimizer"] = train ? "Adam lr=1e-3" : "none",
            ["fwd_macs_per_sample"] = macs,
        };
        return new Workload(train ? "lstm_train" : "lstm_fwd", p, "sequences/s", Batch, (train ? 6 : 2) * macs * Batch, () =>
        {
            var g = new Generator(0);
            var lstm = new LSTM(Input, Hidden, batchFirst: true, generator: g);
            var head = new Linear(Hidden, Classes, generator: g);
            var x = Tensor.Randn(new Shape(Batch, Steps, Input), g);
            var y = Tensor.Randint(0, Classes, new Shape(Batch), g);
            Tensor Logits() => head.Forward(lstm.Forward(x, null).State.H.Squeeze(0));
            if (!train)
            {
                lstm.Eval();
                head.Eval();
                return new Bench(() =>
                {
                    using var _ = GradMode.NoGrad();
                    Logits();
                });
            }

            var opt = new Adam(lstm.Parameters().Concat(head.Parameters()), lr: 1e-3);
            var loss = new CrossEntropyLoss();
            return new Bench(() =>
            {
                opt.ZeroGrad();
                loss.Forward(Logits(), y).Backward();
                opt.Step();
            });
        });
    }
}
