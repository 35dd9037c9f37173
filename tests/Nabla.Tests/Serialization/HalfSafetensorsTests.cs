using System.Buffers.Binary;
using Nabla.Formats;
using Nabla.Models;
using Nabla.NN;
using Nabla.Tests.Training;

namespace Nabla.Tests.Serialization;

/// <summary>
/// F16 and BF16 tensors (PyTorch's <c>model.half()</c> and <c>torch.bfloat16</c> exports) read as Float32, exactly.
/// The bit patterns are written by hand from the formats' definitions, not by Nabla.
/// </summary>
public class HalfSafetensorsTests
{
    // IEEE binary16: 1 sign bit, 5 exponent bits (bias 15), 10 fraction bits.
    private static readonly (ushort Bits, double Value)[] Halves =
    [
        (0x3C00, 1.0),                 // 0 01111 0000000000: 2^0
        (0xC100, -2.5),                // 1 10000 0100000000: -(1 + 256/1024) × 2^1
        (0x7BFF, 65504),               // 0 11110 1111111111: (2 - 2^-10) × 2^15, the largest finite half
        (0x0001, Math.Pow(2, -24)),    // 0 00000 0000000001: the smallest subnormal, 2^-10 × 2^-14
        (0x0400, Math.Pow(2, -14)),    // 0 00001 0000000000: the smallest normal
        (0x8000, -0.0),                // negative zero
        (0x7C00, double.PositiveInfinity),
        (0xFC00, double.NegativeInfinity),
    ];

    // bfloat16: the high 16 bits of a float32 (1 sign, 8 exponent bits with bias 127, 7 fraction bits).
    private static readonly (ushort Bits, double Value)[] BFloats =
    [
        (0x3F80, 1.0),                                     // 0 01111111 0000000: 2^0
        (0xC020, -2.5),                                    // 1 10000000 0100000: -(1 + 32/128) × 2^1
        (0x3EAA, 0.33203125),                              // 0 01111101 0101010: (1 + 42/128) × 2^-2, 1/3 cut to 8 bits
        (0x7F7F, (2 - Math.Pow(2, -7)) * Math.Pow(2, 127)), // 0 11111110 1111111: the largest finite bfloat16
        (0x0001, Math.Pow(2, -133)),                       // the smallest subnormal, 2^-7 × 2^-126
        (0x8000, -0.0),
        (0xFF80, double.NegativeInfinity),
        (0x7F80, double.PositiveInfinity),
    ];

    /// <summary>A file with tensor "h" (F16, shape [2, 4]) then "b" (BF16, shape [8]), the data little-endian.</summary>
    private static byte[] File()
    {
        byte[] header = HostileSafetensorsTests.File(
            """{"h":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},"b":{"dtype":"BF16","shape":[8],"data_offsets":[16,32]}}""", 32);
        int data = header.Length - 32;
        foreach (var (i, bits) in Halves.Select(h => h.Bits).Concat(BFloats.Select(b => b.Bits)).Select((b, i) => (i, b)))
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header.AsSpan(data + (2 * i)), bits);
        }

        return header;
    }

    [Fact]
    public void F16_and_BF16_read_as_float32_with_exact_values()
    {
        var t = Safetensors.Deserialize(File(), "half.safetensors").Tensors;

        Assert.Equal(DType.Float32, t["h"].DType);
        Assert.Equal(new Shape(2, 4), t["h"].Shape);
        Assert.Equal(DType.Float32, t["b"].DType);
        AssertExact(Halves.Select(h => h.Value), t["h"].ToDoubleArray());
        AssertExact(BFloats.Select(b => b.Value), t["b"].ToDoubleArray());
    }

    [Fact]
    public void NaN_reads_as_NaN_keeping_its_payload_in_bfloat16()
    {
        byte[] bytes = HostileSafetensorsTests.File("""{"h":{"dtype":"F16","shape":[1],"data_offsets":[0,2]},"b":{"dtype":"BF16","shape":[1],"data_offsets":[2,4]}}""", 4);
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(bytes.Length - 4), 0x7E00); // half quiet NaN
        BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(bytes.Length - 2), 0x7FC1); // bfloat16 NaN, payload 0x41
        var t = Safetensors.Deserialize(bytes, "nan.safetensors").Tensors;

        Assert.True(float.IsNaN(t["h"].ToFloatArray()[0]));
        Assert.Equal(0x7FC10000, BitConverter.SingleToInt32Bits(t["b"].ToFloatArray()[0]));
    }

    [Fact]
    public void A_half_precision_checkpoint_loads_into_a_float64_model_exactly()
    {
        // Linear(4, 2) has weight [2, 4] and bias [2]: the halves become its weight, two bfloat16 values its bias.
        byte[] bytes = HostileSafetensorsTests.File(
            """{"weight":{"dtype":"F16","shape":[2,4],"data_offsets":[0,16]},"bias":{"dtype":"BF16","shape":[2],"data_offsets":[16,20]}}""", 20);
        byte[] file = File();
        file.AsSpan(file.Length - 32, 20).CopyTo(bytes.AsSpan(bytes.Length - 20));
        string path = Path.Combine(TestPaths.TempDir(), "half.safetensors");
        System.IO.File.WriteAllBytes(path, bytes);
        var model = new Linear(4, 2, dtype: DType.Float64);

        Assert.True(Checkpoint.Load(path).Restore(model).AllMatched);

        Assert.Equal(DType.Float64, model.StateDict()["weight"].DType);
        AssertExact(Halves.Select(h => h.Value), model.StateDict()["weight"].ToDoubleArray());
        AssertExact([1.0, -2.5], model.StateDict()["bias"].ToDoubleArray());
    }

    [Fact]
    public void A_half_tensor_needs_two_bytes_per_element()
    {
        var e = Assert.Throws<InvalidFileException>(() => Safetensors.Deserialize(
            HostileSafetensorsTests.File("""{"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,12]}}""", 12), "w.safetensors"));
        Assert.Equal("w.safetensors: header, tensor 'a': shape [3] of BF16 needs 6 bytes but data_offsets [0, 12] span 12", e.Message);
    }

    private static void AssertExact(IEnumerable<double> expected, double[] actual) =>
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits)); // -0.0 ≠ 0.0
}
