using System;
using System.IO;
using System.Runtime.InteropServices;

namespace EdgeOps.Backup
{
    /// <summary>
    /// A Zstandard decompressing stream: the system's libzstd where there is one (Linux: libzstd.so.1, which the zstd
    /// tool uses; about twice the speed of the managed decoder, and the controller decodes every backup it verifies),
    /// else ZstdSharp's managed decoder.
    /// </summary>
    static class ZstdDecoder
    {
        static bool? s_native;

        static bool HasNative
        {
            get
            {
                if (s_native == null)
                {
                    try { Native.ZSTD_freeDStream(Native.ZSTD_createDStream()); s_native = true; }
                    catch (DllNotFoundException) { s_native = false; }
                    catch (EntryPointNotFoundException) { s_native = false; }
                    catch (BadImageFormatException) { s_native = false; }
                }
                return s_native == true;
            }
        }

        /// <summary>A decoding stream over <paramref name="compressed"/> (closed with it unless <paramref name="leaveOpen"/>).</summary>
        public static Stream Open(Stream compressed, bool leaveOpen) =>
            HasNative ? new NativeStream(compressed, leaveOpen) : (Stream)new ZstdSharp.DecompressionStream(compressed, 1 << 20, checkEndOfStream: true, leaveOpen: leaveOpen);

        /// <summary>
        /// Decodes compressed bytes pushed in with <see cref="Feed"/> and hands the decoded bytes to a callback: with
        /// libzstd right there, on the caller's thread (<see cref="Inline"/>); else ZstdSharp reads them on a thread of
        /// its own (the callback runs there) and <see cref="End"/> waits for it.
        /// </summary>
        public abstract class Push : IDisposable
        {
            public abstract bool Inline { get; }
            public abstract void Feed(byte[] data, int offset, int count);
            /// <summary>No more input: the last frame must be complete; every decoded byte has been handed over.</summary>
            public abstract void End();
            public abstract void Dispose();
        }

        public static Push CreatePush(Action<byte[], int, int> decoded, System.Threading.CancellationToken ct) =>
            HasNative ? new NativePush(decoded) : (Push)new ThreadPush(decoded, ct);

        sealed class NativePush : Push
        {
            readonly Action<byte[], int, int> _decoded;
            readonly byte[] _out = new byte[1 << 20];
            GCHandle _outPin;
            IntPtr _z;
            bool _midFrame;

            public NativePush(Action<byte[], int, int> decoded)
            {
                _decoded = decoded;
                _z = Native.ZSTD_createDStream();
                if (_z == IntPtr.Zero) throw new OutOfMemoryException("libzstd could not make a decoder.");
                _outPin = GCHandle.Alloc(_out, GCHandleType.Pinned);
            }

            public override bool Inline => true;

            public override void Feed(byte[] data, int offset, int count)
            {
                if (_z == IntPtr.Zero) throw new ObjectDisposedException(nameof(ZstdDecoder));
                var pin = GCHandle.Alloc(data, GCHandleType.Pinned);
                try
                {
                    var input = new Native.Buffer { Data = Marshal.UnsafeAddrOfPinnedArrayElement(data, offset), Size = (UIntPtr)(uint)count, Pos = UIntPtr.Zero };
                    while (true)
                    {
                        var output = new Native.Buffer { Data = _outPin.AddrOfPinnedObject(), Size = (UIntPtr)(uint)_out.Length, Pos = UIntPtr.Zero };
                        var r = Native.ZSTD_decompressStream(_z, ref output, ref input);
                        if (Native.ZSTD_isError(r) != 0)
                            throw new InvalidDataException("The image is not valid Zstandard data: " + Marshal.PtrToStringAnsi(Native.ZSTD_getErrorName(r)) + ".");
                        _midFrame = r != UIntPtr.Zero;
                        int n = (int)(uint)output.Pos;
                        if (n > 0) _decoded(_out, 0, n);
                        // done when the input is used up and the decoder had room to spare (nothing more to flush)
                        if ((uint)input.Pos == (uint)count && n < _out.Length) break;
                    }
                }
                finally { pin.Free(); }
            }

            public override void End()
            {
                if (_midFrame) throw new InvalidDataException("The compressed stream ends inside a Zstandard frame.");
            }

            public override void Dispose()
            {
                if (_z != IntPtr.Zero) { Native.ZSTD_freeDStream(_z); _z = IntPtr.Zero; }
                if (_outPin.IsAllocated) _outPin.Free();
            }
        }

        sealed class ThreadPush : Push
        {
            readonly BlockingPipe _pipe;
            readonly System.Threading.Tasks.Task _reader;

            public ThreadPush(Action<byte[], int, int> decoded, System.Threading.CancellationToken ct)
            {
                _pipe = new BlockingPipe(ct);
                _reader = System.Threading.Tasks.Task.Run(() =>
                {
                    try
                    {
                        using (var z = new ZstdSharp.DecompressionStream(_pipe, 1 << 20, leaveOpen: true))
                        {
                            var buf = new byte[1 << 20];
                            int n;
                            while ((n = z.Read(buf, 0, buf.Length)) > 0) decoded(buf, 0, n);
                        }
                    }
                    catch { _pipe.Abandon(); throw; }
                });
            }

            public override bool Inline => false;
            public override void Feed(byte[] data, int offset, int count) => _pipe.Write(data, offset, count);
            public override void End() { _pipe.Complete(); _reader.GetAwaiter().GetResult(); }

            public override void Dispose()
            {
                _pipe.Abandon();
                try { _reader.Wait(5000); } catch (AggregateException) { }
            }
        }

        static class Native
        {
            const string Lib = "libzstd.so.1";
            [StructLayout(LayoutKind.Sequential)]
            public struct Buffer { public IntPtr Data; public UIntPtr Size; public UIntPtr Pos; }
            [DllImport(Lib)] public static extern IntPtr ZSTD_createDStream();
            [DllImport(Lib)] public static extern UIntPtr ZSTD_freeDStream(IntPtr zds);
            [DllImport(Lib)] public static extern UIntPtr ZSTD_decompressStream(IntPtr zds, ref Buffer output, ref Buffer input);
            [DllImport(Lib)] public static extern uint ZSTD_isError(UIntPtr code);
            [DllImport(Lib)] public static extern IntPtr ZSTD_getErrorName(UIntPtr code);
        }

        /// <summary>Reads compressed bytes from the inner stream and decodes them with libzstd (frames one after another).</summary>
        sealed class NativeStream : EdgeOps.Storage.ReadOnlyStream
        {
            readonly Stream _inner;
            readonly byte[] _in = new byte[1 << 17];
            GCHandle _inPin;
            IntPtr _z;
            int _inPos, _inLen;
            bool _eof, _midFrame;

            readonly bool _leaveOpen;

            public NativeStream(Stream inner, bool leaveOpen)
            {
                _inner = inner; _leaveOpen = leaveOpen;
                _z = Native.ZSTD_createDStream();
                if (_z == IntPtr.Zero) throw new OutOfMemoryException("libzstd could not make a decoder.");
                _inPin = GCHandle.Alloc(_in, GCHandleType.Pinned);
            }

            public override int Read(byte[] buffer, int offset, int count)
            {
                if (count == 0) return 0;
                if (_z == IntPtr.Zero) throw new ObjectDisposedException(nameof(ZstdDecoder));
                while (true)
                {
                    if (_inPos == _inLen && !_eof)
                    {
                        _inLen = _inner.Read(_in, 0, _in.Length);
                        _inPos = 0;
                        if (_inLen == 0) _eof = true;
                    }
                    if (_inPos == _inLen && _eof)
                    {
                        if (_midFrame) throw new InvalidDataException("The compressed stream ends inside a Zstandard frame.");
                        return 0;
                    }
                    var pin = GCHandle.Alloc(buffer, GCHandleType.Pinned);
                    try
                    {
                        var input = new Native.Buffer { Data = _inPin.AddrOfPinnedObject(), Size = (UIntPtr)(uint)_inLen, Pos = (UIntPtr)(uint)_inPos };
                        var output = new Native.Buffer { Data = Marshal.UnsafeAddrOfPinnedArrayElement(buffer, offset), Size = (UIntPtr)(uint)count, Pos = UIntPtr.Zero };
                        var r = Native.ZSTD_decompressStream(_z, ref output, ref input);
                        if (Native.ZSTD_isError(r) != 0)
                            throw new InvalidDataException("The image is not valid Zstandard data: " + Marshal.PtrToStringAnsi(Native.ZSTD_getErrorName(r)) + ".");
                        _inPos = (int)(uint)input.Pos;
                        _midFrame = r != UIntPtr.Zero;
                        int n = (int)(uint)output.Pos;
                        if (n > 0) return n;
                    }
                    finally { pin.Free(); }
                }
            }

            protected override void Dispose(bool disposing)
            {
                if (_z != IntPtr.Zero) { Native.ZSTD_freeDStream(_z); _z = IntPtr.Zero; }
                if (_inPin.IsAllocated) _inPin.Free();
                if (disposing && !_leaveOpen) _inner.Dispose();
                base.Dispose(disposing);
            }

            ~NativeStream() { Dispose(false); }
        }
    }
}
