package mxcore

import com.sun.jna.{Native, NativeLibrary}

/** A non-zero status from the core, carrying mx_last_error(). */
class MXNetError(msg: String) extends RuntimeException(msg)

/** Loads libmxcore (jna.library.path, else MXCORE_PREFIX/lib, else the system
 *  path) and refuses a library whose ABI version differs from ours. */
object Base {
  val AbiVersion = 1

  lazy val lib: MxLib = {
    val prefix = sys.env.get("MXCORE_PREFIX")
    prefix.foreach(p => NativeLibrary.addSearchPath("mxcore", p + "/lib"))
    val l = Native.load("mxcore", classOf[MxLib])
    val v = l.mx_abi_version()
    if (v != AbiVersion)
      throw new MXNetError(s"libmxcore ABI version $v does not match the version $AbiVersion this binding was built for")
    l
  }

  def check(rc: Int): Unit = if (rc != 0) throw new MXNetError(lib.mx_last_error())

  /** Attribute value -> MXNet's string form; None/null mean "not passed". */
  def fmt(v: Any): Option[String] = v match {
    case null | None => None
    case Some(x) => fmt(x)
    case b: Boolean => Some(if (b) "True" else "False")
    case d: Double => Some(fmtDouble(d))
    case f: Float => Some(fmtDouble(f.toDouble))
    case s: Seq[_] => Some(s.map(x => fmt(x).getOrElse("None")).mkString("(", ",", ")"))
    case other => Some(other.toString)
  }

  private def fmtDouble(d: Double): String =
    if (d.isPosInfinity) "inf" else if (d.isNegInfinity) "-inf" else java.lang.Double.toString(d)

  def version: String = lib.mx_version_string()

  def registryJson: String = {
    val p = new com.sun.jna.ptr.PointerByReference()
    check(lib.mx_registry_json(p))
    p.getValue.getString(0, "UTF-8")
  }
}

object Random {
  def seed(s: Long): Unit = Base.check(Base.lib.mx_random_seed(s))
}
