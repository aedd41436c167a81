package mxcore;

import com.sun.jna.Library;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.IntByReference;
import com.sun.jna.ptr.PointerByReference;

/** JNA view of include/mxcore/mxcore.h (only what the binding uses). Handles
 *  are {@link Pointer}s; int64 arrays are long[]. Functions are resolved at
 *  first call, so a core without io (mx_save/mx_load) still loads. */
public interface MxLib extends Library {
    int mx_abi_version();
    String mx_version_string();
    String mx_last_error();
    int mx_random_seed(long seed);
    int mx_registry_json(PointerByReference json);

    int mx_tensor_create(long[] shape, int ndim, int dtype, MxDevice device, PointerByReference out);
    int mx_tensor_release(Pointer t);
    int mx_tensor_shape(Pointer t, IntByReference ndim, PointerByReference shape);
    int mx_tensor_dtype(Pointer t, IntByReference dtype);
    int mx_tensor_device(Pointer t, int[] device);
    int mx_tensor_size(Pointer t, long[] size);
    int mx_tensor_copy_from_host(Pointer t, Pointer data, long nbytes);
    int mx_tensor_copy_to_host(Pointer t, Pointer data, long nbytes);
    int mx_tensor_assign(Pointer dst, Pointer src);
    int mx_tensor_reshape_view(Pointer t, long[] shape, int ndim, PointerByReference out);

    int mx_invoke_by_name(String name, Pointer[] inputs, int nIn, String[] keys, String[] vals, int nAttr,
                          Pointer[] outputs, int maxOut, IntByReference nOut);

    int mx_autograd_set_recording(int recording, IntByReference prev);
    int mx_autograd_set_training(int training, IntByReference prev);
    int mx_autograd_mark_variables(Pointer[] vars, int[] reqs, Pointer[] grads, int n);
    int mx_autograd_backward(Pointer[] heads, Pointer[] headGrads, int n, int retain, int create);
    int mx_tensor_grad(Pointer t, PointerByReference grad);

    int mx_save(String path, Pointer[] tensors, String[] names, int n);
    int mx_load(String path, PointerByReference out, IntByReference n);
    int mx_load_get(Pointer r, int i, PointerByReference tensor, PointerByReference name);
    int mx_load_release(Pointer r);

    /* graphs: MXNet symbol JSON run by the core's executor (Symbol.scala) */
    int mx_graph_from_json(String json, PointerByReference out);
    int mx_graph_to_json(Pointer g, PointerByReference json);
    int mx_graph_release(Pointer g);
    int mx_graph_list(Pointer g, int what, IntByReference n, PointerByReference names);
    int mx_graph_run(Pointer g, Pointer[] args, int nArgs, Pointer[] aux, int nAux, int isTrain,
                     Pointer[] outputs, int maxOut, IntByReference nOut);
}
