package mxcore

import com.sun.jna.Pointer
import com.sun.jna.ptr.{IntByReference, PointerByReference}

/** An MXNet symbol JSON (a -symbol.json model file of any MXNet 1.x version)
 *  held by the core as a graph: the same C executor that Python's mx.sym,
 *  hybridize() and SymbolBlock.imports use. Released by close() or a Cleaner. */
class Symbol private[mxcore] (h: Pointer) extends AutoCloseable {
  private val cleanable = NDArray.cleaner.register(this, new Releaser(h, Base.lib.mx_graph_release))
  @volatile private var live = true

  def handle: Pointer = { if (!live) throw new MXNetError("Symbol was closed"); h }
  override def close(): Unit = if (live) { live = false; cleanable.clean() }

  private def list(what: Int): Seq[String] = {
    val n = new IntByReference(); val names = new PointerByReference()
    Base.check(Base.lib.mx_graph_list(handle, what, n, names))
    if (n.getValue == 0) Nil else names.getValue.getPointerArray(0, n.getValue).map(_.getString(0, "UTF-8")).toList
  }
  /** Argument, auxiliary-state and output names in MXNet's order. */
  def arguments: Seq[String] = list(0)
  def auxiliaryStates: Seq[String] = list(1)
  def outputs: Seq[String] = list(2)

  def toJson: String = {
    val j = new PointerByReference()
    Base.check(Base.lib.mx_graph_to_json(handle, j))
    j.getValue.getString(0, "UTF-8")
  }

  /** Run once. `args` / `aux` must name every argument and auxiliary state
   *  (extra names are ignored); returns (output name, value) in order. */
  def run(args: Map[String, NDArray], aux: Map[String, NDArray] = Map.empty,
          isTrain: Boolean = false): Seq[(String, NDArray)] = {
    def bind(wanted: Seq[String], given: Map[String, NDArray], what: String): Array[Pointer] = {
      val missing = wanted.filterNot(given.contains)
      if (missing.nonEmpty)
        throw new MXNetError(s"Symbol.run: no value for $what ${missing.map("'" + _ + "'").mkString(", ")} " +
          s"(the graph's ${what}s: ${wanted.mkString(", ")})")
      wanted.map(given(_).handle).toArray
    }
    val a = bind(arguments, args, "argument")
    val x = bind(auxiliaryStates, aux, "auxiliary state")
    val names = outputs
    val outs = new Array[Pointer](math.max(1, names.length))
    val n = new IntByReference()
    Base.check(Base.lib.mx_graph_run(handle, if (a.isEmpty) null else a, a.length, if (x.isEmpty) null else x,
      x.length, if (isTrain) 1 else 0, outs, outs.length, n))
    names.zip(outs.take(n.getValue).map(p => new NDArray(p)))
  }

  override def toString: String = s"Symbol(outputs: ${outputs.mkString(", ")})"
}

object Symbol {
  /** From symbol JSON text; a malformed graph or unknown op is an MXNetError naming the node. */
  def fromJson(json: String): Symbol = {
    val p = new PointerByReference()
    Base.check(Base.lib.mx_graph_from_json(json, p))
    new Symbol(p.getValue)
  }
  def load(path: String): Symbol = {
    val src = scala.io.Source.fromFile(path, "UTF-8")
    try fromJson(src.mkString) finally src.close()
  }
}

/** MXNet's checkpoint files: prefix-symbol.json and prefix-%04d.params
 *  ("arg:"/"aux:" keys), as HybridBlock.export and Module.save_checkpoint write them. */
object Model {
  /** (symbol, arg params, aux params), as MXNet-Scala's Model.loadCheckpoint. */
  def loadCheckpoint(prefix: String, epoch: Int): (Symbol, Map[String, NDArray], Map[String, NDArray]) = {
    val sym = Symbol.load(s"$prefix-symbol.json")
    val params = NDArray.load(f"$prefix-$epoch%04d.params")
    def strip(tag: String) = params.collect { case (k, v) if k.startsWith(tag) => k.drop(tag.length) -> v }.toMap
    (sym, strip("arg:"), strip("aux:"))
  }
}

/** Inference with a checkpoint: predict(x) binds x to `inputName`. */
class Predictor(prefix: String, epoch: Int, inputName: String = "data") extends AutoCloseable {
  val (symbol, argParams, auxParams) = Model.loadCheckpoint(prefix, epoch)
  def predict(x: NDArray): Seq[NDArray] = symbol.run(argParams + (inputName -> x), auxParams).map(_._2)
  override def close(): Unit = symbol.close()
}
