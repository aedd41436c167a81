package mxcore;

import com.sun.jna.Structure;

/** The C ABI's {@code mx_device} struct, passed by value to mx_tensor_create.
 *  Java because JNA reads public fields, which Scala cannot declare. */
@Structure.FieldOrder({"type", "id"})
public class MxDevice extends Structure implements Structure.ByValue {
    public int type;
    public int id;

    public MxDevice() {}

    public MxDevice(int type, int id) {
        this.type = type;
        this.id = id;
    }
}
