package mxcore

import com.sun.jna.{Memory, Pointer}
import com.sun.jna.ptr.{IntByReference, PointerByReference}

/** Releases one core handle exactly once with `release`; shared by close() and
 *  the Cleaner. It must not reference its owner (an NDArray, a Symbol), or the
 *  owner would never be collected. */
private final class Releaser(h: Pointer, release: Pointer => Int) extends Runnable {
  def run(): Unit = release(h)
}

/** An n-dimensional array held by the core. Memory is released by close()
 *  (AutoCloseable, use with try/finally) or, failing that, by a Cleaner once
 *  the object is unreachable. Shapes are row-major (C order), like the core. */
class NDArray private[mxcore] (h: Pointer) extends AutoCloseable {
  private val cleanable = NDArray.cleaner.register(this, new Releaser(h, Base.lib.mx_tensor_release))
  @volatile private var live = true

  def handle: Pointer = { if (!live) throw new MXNetError("NDArray was disposed"); h }
  override def close(): Unit = if (live) { live = false; cleanable.clean() }
  def dispose(): Unit = close()

  def shape: Array[Long] = {
    val nd = new IntByReference(); val p = new PointerByReference()
    Base.check(Base.lib.mx_tensor_shape(handle, nd, p))
    if (nd.getValue == 0) Array[Long]() else p.getValue.getLongArray(0, nd.getValue)
  }
  def size: Long = shape.product
  def dtype: String = {
    val d = new IntByReference(); Base.check(Base.lib.mx_tensor_dtype(handle, d)); DType.name(d.getValue)
  }
  def device: String = {
    val d = new Array[Int](2); Base.check(Base.lib.mx_tensor_device(handle, d))
    val kind = d(0) match { case 1 => "cpu"; case 2 => "gpu"; case 3 => "cpu_pinned"; case 10 => "opencl"; case k => s"dev$k" }
    s"$kind(${d(1)})"
  }

  /** Contents converted by the core to `dt`, copied into host memory. */
  private def host(dt: String): Memory = {
    val tmp = NDArray.create(shape, dt)
    try {
      Base.check(Base.lib.mx_tensor_assign(tmp.handle, handle))
      val m = new Memory(math.max(1L, size * DType.itemSize(dt)))
      if (size > 0) Base.check(Base.lib.mx_tensor_copy_to_host(tmp.handle, m, size * DType.itemSize(dt)))
      m
    } finally tmp.close()
  }
  def toArray: Array[Float] = host("float32").getFloatArray(0, size.toInt)
  def toDoubleArray: Array[Double] = host("float64").getDoubleArray(0, size.toInt)
  def toIntArray: Array[Int] = host("int32").getIntArray(0, size.toInt)
  def toLongArray: Array[Long] = host("int64").getLongArray(0, size.toInt)
  def toBooleanArray: Array[Boolean] = toIntArray.map(_ != 0)

  def grad: NDArray = {
    val p = new PointerByReference(); Base.check(Base.lib.mx_tensor_grad(handle, p))
    if (p.getValue == null) null else new NDArray(p.getValue)
  }

  private def bin(op: String, o: NDArray): NDArray = NDArray.invoke(op, Seq(this, o), Nil).head
  private def scalar(v: Double): NDArray = {
    val s = NDArray.array(Array(v), Array.fill(math.max(1, shape.length))(1), dtype)
    s
  }
  def +(o: NDArray): NDArray = bin("broadcast_add", o)
  def -(o: NDArray): NDArray = bin("broadcast_sub", o)
  def *(o: NDArray): NDArray = bin("broadcast_mul", o)
  def /(o: NDArray): NDArray = bin("broadcast_div", o)
  def +(v: Double): NDArray = bin("broadcast_add", scalar(v))
  def -(v: Double): NDArray = bin("broadcast_sub", scalar(v))
  def *(v: Double): NDArray = bin("broadcast_mul", scalar(v))
  def /(v: Double): NDArray = bin("broadcast_div", scalar(v))
  def unary_- : NDArray = scalar(0) - this
  def >(o: NDArray): NDArray = bin("broadcast_greater", o)
  def <(o: NDArray): NDArray = bin("broadcast_lesser", o)
  def >=(o: NDArray): NDArray = bin("broadcast_greater_equal", o)
  def <=(o: NDArray): NDArray = bin("broadcast_lesser_equal", o)
  def ===(o: NDArray): NDArray = bin("broadcast_equal", o)
  def !==(o: NDArray): NDArray = bin("broadcast_not_equal", o)
  def >(v: Double): NDArray = this > scalar(v)
  def <(v: Double): NDArray = this < scalar(v)
  def >=(v: Double): NDArray = this >= scalar(v)
  def <=(v: Double): NDArray = this <= scalar(v)
  def ===(v: Double): NDArray = this === scalar(v)
  def !==(v: Double): NDArray = this !== scalar(v)

  override def toString: String =
    if (!live) "<NDArray disposed>"
    else {
      val vals = if (dtype.startsWith("float") || dtype == "bfloat16") toDoubleArray.mkString(", ") else toLongArray.mkString(", ")
      s"<NDArray ${shape.mkString("x")} $dtype @$device>\n[$vals]"
    }
}

object DType {
  val codes: Map[String, Int] = Map("float32" -> 0, "float64" -> 1, "float16" -> 2, "uint8" -> 3, "int32" -> 4,
    "int8" -> 5, "int64" -> 6, "bool" -> 7, "bfloat16" -> 12)
  def code(name: String): Int = codes.getOrElse(name, throw new MXNetError(s"unknown dtype '$name'"))
  def name(code: Int): String = codes.find(_._2 == code).map(_._1).getOrElse(s"dtype$code")
  def itemSize(name: String): Long = name match {
    case "float64" | "int64" => 8; case "float32" | "int32" => 4; case "float16" | "bfloat16" => 2; case _ => 1
  }
}

/** Constructors, the generic invoke, io and (via NDArrayOps, generated from
 *  the registry manifest) one method per public op. */
object NDArray extends NDArrayOps {
  private[mxcore] val cleaner = java.lang.ref.Cleaner.create()

  private[mxcore] def create(shape: Array[Long], dtype: String): NDArray = {
    val p = new PointerByReference()
    Base.check(Base.lib.mx_tensor_create(if (shape.isEmpty) null else shape, shape.length, DType.code(dtype),
      new MxDevice(1, 0), p))
    new NDArray(p.getValue)
  }

  private def fromHost(m: Memory, srcDtype: String, shape: Array[Int], dtype: String): NDArray = {
    val shp = shape.map(_.toLong)
    val n = shp.product
    val src = create(shp, srcDtype)
    if (n > 0) {
      val rc = Base.lib.mx_tensor_copy_from_host(src.handle, m, n * DType.itemSize(srcDtype))
      if (rc != 0) { src.close(); Base.check(rc) }
    }
    if (srcDtype == dtype) src
    else try {
      val dst = create(shp, dtype)
      val rc = Base.lib.mx_tensor_assign(dst.handle, src.handle)
      if (rc != 0) { dst.close(); Base.check(rc) }
      dst
    } finally src.close()
  }
  private def mem(n: Int, item: Int): Memory = new Memory(math.max(1, n * item).toLong)

  def array(data: Array[Float], shape: Array[Int]): NDArray = array(data, shape, "float32")
  def array(data: Array[Float], shape: Array[Int], dtype: String): NDArray = {
    val m = mem(data.length, 4); m.write(0, data, 0, data.length); fromHost(m, "float32", shape, dtype)
  }
  def array(data: Array[Double], shape: Array[Int]): NDArray = array(data, shape, "float64")
  def array(data: Array[Double], shape: Array[Int], dtype: String): NDArray = {
    val m = mem(data.length, 8); m.write(0, data, 0, data.length); fromHost(m, "float64", shape, dtype)
  }
  def array(data: Array[Int], shape: Array[Int]): NDArray = array(data, shape, "int32")
  def array(data: Array[Int], shape: Array[Int], dtype: String): NDArray = {
    val m = mem(data.length, 4); m.write(0, data, 0, data.length); fromHost(m, "int32", shape, dtype)
  }
  def array(data: Array[Long], shape: Array[Int], dtype: String): NDArray = {
    val m = mem(data.length, 8); m.write(0, data, 0, data.length); fromHost(m, "int64", shape, dtype)
  }
  def array(data: Array[Boolean], shape: Array[Int]): NDArray = array(data.map(b => if (b) 1 else 0), shape, "bool")

  /** Run registry op `name`; null inputs are dropped (optional inputs).
   *  `out` (MXNet's out=): when non-null the op writes into it and it is returned. */
  def invoke(name: String, inputs: Seq[NDArray], attrs: Seq[(String, Any)], out: NDArray = null): Array[NDArray] = {
    val ins = inputs.filter(_ != null).map(_.handle).toArray
    val kv = attrs.flatMap { case (k, v) => Base.fmt(v).map(k -> _) }
    val outs = new Array[Pointer](64)
    val nOut = new IntByReference(0)
    if (out != null) { outs(0) = out.handle; nOut.setValue(1) }
    Base.check(Base.lib.mx_invoke_by_name(name, if (ins.isEmpty) null else ins, ins.length,
      if (kv.isEmpty) null else kv.map(_._1).toArray, if (kv.isEmpty) null else kv.map(_._2).toArray, kv.length,
      outs, outs.length, nOut))
    if (out != null) Array(out) else outs.take(nOut.getValue).map(p => new NDArray(p))
  }

  /** Save to an MXNet .params file (named) / list file (unnamed). */
  def save(path: String, arrays: Seq[(String, NDArray)]): Unit =
    Base.check(Base.lib.mx_save(path, arrays.map(_._2.handle).toArray, arrays.map(_._1).toArray, arrays.length))
  def save(path: String, arrays: Seq[NDArray])(implicit d: DummyImplicit): Unit =
    Base.check(Base.lib.mx_save(path, arrays.map(_.handle).toArray, null, arrays.length))
  def load(path: String): Seq[(String, NDArray)] = {
    val r = new PointerByReference(); val n = new IntByReference()
    Base.check(Base.lib.mx_load(path, r, n))
    try {
      (0 until n.getValue).map { i =>
        val t = new PointerByReference(); val nm = new PointerByReference()
        Base.check(Base.lib.mx_load_get(r.getValue, i, t, nm))
        (nm.getValue.getString(0, "UTF-8"), new NDArray(t.getValue))
      }.toList
    } finally Base.lib.mx_load_release(r.getValue)
  }
}

/** Autograd over the core's per-thread tape. */
object Autograd {
  def record[T](body: => T): T = record(train = true)(body)
  def record[T](train: Boolean)(body: => T): T = {
    val pt = new IntByReference(); val pr = new IntByReference()
    Base.check(Base.lib.mx_autograd_set_training(if (train) 1 else 0, pt))
    Base.check(Base.lib.mx_autograd_set_recording(1, pr))
    try body finally {
      Base.lib.mx_autograd_set_recording(pr.getValue, null)
      Base.lib.mx_autograd_set_training(pt.getValue, null)
    }
  }
  def markVariables(vars: Seq[NDArray], gradReq: String = "write"): Unit = {
    val req = gradReq match { case "null" => 0; case "write" => 1; case "add" => 3
      case o => throw new MXNetError(s"unknown grad_req '$o'") }
    Base.check(Base.lib.mx_autograd_mark_variables(vars.map(_.handle).toArray, Array.fill(vars.length)(req), null, vars.length))
  }
  def backward(heads: Seq[NDArray], headGrads: Seq[NDArray] = null, retainGraph: Boolean = false): Unit =
    Base.check(Base.lib.mx_autograd_backward(heads.map(_.handle).toArray,
      if (headGrads == null) null else headGrads.map(g => if (g == null) null else g.handle).toArray,
      heads.length, if (retainGraph) 1 else 0, 0))
}
