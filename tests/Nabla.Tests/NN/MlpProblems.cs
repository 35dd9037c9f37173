using Nabla.NN;
using Nabla.Optim;

namespace Nabla.Tests.NN;

/// <summary>Dense-network reference problems from PROBLEMS.md, built from modules, losses and optimizers.</summary>
public class MlpProblems
{
    private const double Tol = 1e-6;

    private static void Close(double expected, double actual, double tol = Tol) => Expect.Close(expected, actual, tol, tol);

    private static void Close(double[] expected, Tensor actual, double tol = Tol) => Expect.AllClose(expected, actual, tol, tol);

    private static void Set(Tensor parameter, Tensor value) => Expect.Set(parameter, value);

    [Fact]
    public void S3_Q2_ffn_forward()
    {
        // Row convention z = a·W, so each Linear's weight (out, in) is Wᵀ. z1 = [0.5·0.2 − 1·1, 0.5·(−0.4) − 1·0.1] = [−0.9, −0.3].
        var l1 = new Linear(2, 2, bias: false, dtype: DType.Float64);
        var l2 = new Linear(2, 3, bias: false, dtype: DType.Float64);
        var l3 = new Linear(3, 2, bias: false, dtype: DType.Float64);
        Set(l1.Weight, Tensor.FromArray(new[,] { { 0.2, -0.4 }, { 1.0, 0.1 } }).T);
        Set(l2.Weight, Tensor.FromArray(new[,] { { 0.3, 0.8, 0.5 }, { 0.7, -0.6, 0.2 } }).T);
        Set(l3.Weight, Tensor.FromArray(new[,] { { 0.4, -0.2 }, { 0.3, 0.9 }, { -0.5, 0.7 } }).T);
        var x = Tensor.FromArray([0.5, -1.0], new Shape(1, 2));
        var z1 = l1.Forward(x);
        var a1 = new ReLU().Forward(z1);
        var z2 = l2.Forward(a1);
        var a2 = new ReLU().Forward(z2);
        var z3 = l3.Forward(a2);
        var p = new Softmax(1).Forward(z3);
        Close([-0.9, -0.3], z1);
        Close([0, 0], a1);
        Close([0, 0, 0], z2);
        Close([0, 0, 0], a2);
        Close([0, 0], z3);
        Close([0.5, 0.5], p);
    }

    [Fact]
    public void S2_Q2_mlp_backprop()
    {
        // Bias-as-first-coordinate: W1's first row is the bias of Linear(1, 2); s1 = [0.1 + 2·0.3, 0.2 + 2·0.4] = [0.7, 1.0].
        // e = (x3 − 1)²; δ3 = 2(x3 − 1) = 2(−0.803091306746 − 1) = −3.60618261349.
        var (l1, l2, l3) = (new Linear(1, 2, dtype: DType.Float64), new Linear(2, 1, dtype: DType.Float64), new Linear(1, 1, dtype: DType.Float64));
        Set(l1.Weight, Tensor.FromArray([0.3, 0.4], new Shape(2, 1)));
        Set(l1.Bias!, Tensor.FromArray([0.1, 0.2]));
        Set(l2.Weight, Tensor.FromArray([1.0, -3.0], new Shape(1, 2)));
        Set(l2.Bias!, Tensor.FromArray([0.2]));
        Set(l3.Weight, Tensor.FromArray([2.0], new Shape(1, 1)));
        Set(l3.Bias!, Tensor.FromArray([1.0]));

        var x = Tensor.FromArray([2.0], new Shape(1, 1));
        var s1 = l1.Forward(x);
        var h1 = s1.Tanh();
        var s2 = l2.Forward(h1);
        var h2 = s2.Tanh();
        var s3 = l3.Forward(h2);
        var e = new MSELoss(Reduction.Sum).Forward(s3, Tensor.FromArray([1.0], new Shape(1, 1)));
        var deltas = Autograd.Grad([e], [s3, s2, s1], retainGraph: true);
        e.Backward();

        Close([0.7, 1.0], s1);
        Close([0.604367777117, 0.761594155956], h1);
        Close(-1.48041469075, s2.Item());
        Close(-0.901545653373, h2.Item());
        Close(-0.803091306746, s3.Item());
        Close(3.25113826046, e.Item());
        Close(-3.60618261349, deltas[0]!.Item());
        Close(-1.35026609252, deltas[1]!.Item());
        Close([-0.85706734593, 1.70123133962], deltas[2]!);

        // dE/dW1 rows (bias, x) = (δ1, 2·δ1); dE/dW2 = (δ2, δ2·h1); dE/dW3 = (δ3, δ3·h2).
        Close([-0.85706734593, 1.70123133962], l1.Bias!.Grad!);
        Close([-1.71413469186, 3.40246267925], l1.Weight.Grad!);
        Close([-1.35026609252], l2.Bias!.Grad!);
        Close([-0.81605731685, -1.02835476504], l2.Weight.Grad!);
        Close([-3.60618261349], l3.Bias!.Grad!);
        Close([3.25113826046], l3.Weight.Grad!);
    }

    [Fact]
    public void S3_Q3_xor_graph()
    {
        var hidden = new Linear(2, 2, dtype: DType.Float64);
        var output = new Linear(2, 1, dtype: DType.Float64);
        Set(hidden.Weight, Tensor.FromArray(new[,] { { 1.0, 1.0 }, { 1.0, 1.0 } }).T);
        Set(hidden.Bias!, Tensor.FromArray([0.0, -1.0]));
        Set(output.Weight, Tensor.FromArray([1.0, -2.0], new Shape(1, 2)));
        Set(output.Bias!, Tensor.FromArray([0.0]));
        var model = new Sequential(hidden, new ReLU(), output);

        var x = Tensor.FromArray(new[,] { { 0.0, 0 }, { 0, 1 }, { 1, 0 }, { 1, 1 } });
        var y = Tensor.FromArray([0.0, 1, 1, 0], new Shape(4, 1));
        var pre = hidden.Forward(x);
        var yhat = model.Forward(x);

        // Loss = mean of ½(ŷ − y)² = ½·MSE.
        var loss = new MSELoss().Forward(yhat, y) * 0.5;
        loss.Backward();
        Close([0, -1, 1, 0, 1, 0, 2, 1], pre);
        Close([0, 1, 1, 0], yhat);
        Close(0, loss.Item());
        foreach (var p in model.Parameters())
        {
            Close(new double[p.Numel], p.Grad!);
        }

        var before = model.Parameters().Select(p => p.ToDoubleArray()).ToList();
        new SGD(model.Parameters(), lr: 0.1).Step();
        var after = model.Parameters().Select(p => p.ToDoubleArray()).ToList();
        Assert.Equal(before, after); // zero gradients: the weights are unchanged
    }

    [Fact]
    public void S1_EC3_4b_sigmoid_neuron_sse()
    {
        // z = 0.3·0.65 + 0.5·0.75 + 1.75 = 2.32; ∂L/∂z = (ŷ − y)·ŷ(1 − ŷ).
        var neuron = new Linear(2, 1, dtype: DType.Float64);
        Set(neuron.Weight, Tensor.FromArray([0.3, 0.5], new Shape(1, 2)));
        Set(neuron.Bias!, Tensor.FromArray([1.75]));
        var x = Tensor.FromArray([0.65, 0.75], new Shape(1, 2));
        var y = Tensor.FromArray([2.5], new Shape(1, 1));
        Tensor Loss() => new MSELoss(Reduction.Sum).Forward(new Sigmoid().Forward(neuron.Forward(x)), y) * 0.5;

        var z = neuron.Forward(x);
        Close(2.32, z.Item());
        Close(0.910519940666, z.Sigmoid().Item());
        var loss = Loss();
        Close(1.26322342951, loss.Item());
        loss.Backward();
        Close([-0.0841752016291, -0.0971252326489], neuron.Weight.Grad!);
        Close(-0.129500310199, neuron.Bias!.Grad!.Item());
        new SGD(neuron.Parameters(), lr: 2.0).Step();
        Close([0.468350403258, 0.694250465298], neuron.Weight);
        Close(2.0090006204, neuron.Bias!.Item());
        Close(1.20980288144, Loss().Item());
        Assert.True(Loss().Item() > 1.125); // a sigmoid output stays below 1
    }

    [Fact]
    public void S1_EC3_4a_adam_step()
    {
        var neuron = new Linear(1, 1, dtype: DType.Float64);
        Set(neuron.Weight, Tensor.FromArray([-2.0], new Shape(1, 1)));
        Set(neuron.Bias!, Tensor.FromArray([-2.0]));
        var x = Tensor.FromArray([3.5], new Shape(1, 1));
        var y = Tensor.FromArray([0.5], new Shape(1, 1));
        var z = neuron.Forward(x);
        var yhat = z.Sigmoid();
        var loss = new BCELoss().Forward(yhat, y);
        Close(-9.0, z.Item());
        Close(0.000123394575986, yhat.Item());
        Close(4.50012340219, loss.Item());
        loss.Backward();
        Close(-1.74956811898, neuron.Weight.Grad!.Item());
        Close(-0.499876605424, neuron.Bias!.Grad!.Item());

        var adam = new Adam(neuron.Parameters(), lr: 0.1, beta1: 0.9, beta2: 0.99, eps: 1e-8);
        adam.Step();
        var sw = adam.State[neuron.Weight];
        var sb = adam.State[neuron.Bias!];
        Close(-0.174956811898, sw["exp_avg"].Item());
        Close(-0.0499876605424, sb["exp_avg"].Item());
        Close(0.0306098860297, sw["exp_avg_sq"].Item());
        Close(0.0024987662065, sb["exp_avg_sq"].Item());
        Close(-1.74956811898, sw["exp_avg"].Item() / (1 - 0.9)); // bias-corrected moments (t = 1)
        Close(3.06098860297, sw["exp_avg_sq"].Item() / (1 - 0.99));
        Close(-1.90000000057, neuron.Weight.Item());
        Close(-1.900000002, neuron.Bias!.Item());
    }
}
