namespace Edsos.Memory;

/// <summary>The EDSOS memory operations a <see cref="MemoryOpRecord"/> reports.</summary>
public enum MemoryOp
{
    Push,
    CtShare,
    Divide,
    Merge,
    Pop,
    Grant,
    Lift,
    Pin,
    Unpin,
}
