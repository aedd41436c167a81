package mxcore

/** Minimal JSON reader for the test data (no third-party jars offline). */
object Json {
  def parse(s: String): Any = { val p = new P(s); val v = p.value(); v }
  private class P(s: String) {
    var i = 0
    def ws(): Unit = while (i < s.length && s(i).isWhitespace) i += 1
    def value(): Any = {
      ws()
      s(i) match {
        case '{' => i += 1; val m = scala.collection.mutable.LinkedHashMap[String, Any]()
          ws(); if (s(i) == '}') { i += 1; return m.toMap }
          while (true) { ws(); val k = str(); ws(); i += 1; m(k) = value(); ws()
            if (s(i) == ',') i += 1 else { i += 1; return m.toMap } }
          m.toMap
        case '[' => i += 1; val b = scala.collection.mutable.ArrayBuffer[Any]()
          ws(); if (s(i) == ']') { i += 1; return b.toList }
          while (true) { b += value(); ws(); if (s(i) == ',') i += 1 else { i += 1; return b.toList } }
          b.toList
        case '"' => str()
        case 't' => i += 4; true
        case 'f' => i += 5; false
        case 'n' => i += 4; null
        case _ => val st = i; while (i < s.length && "+-0123456789.eE".contains(s(i))) i += 1; s.substring(st, i).toDouble
      }
    }
    def str(): String = {
      val sb = new StringBuilder; i += 1
      while (s(i) != '"') {
        if (s(i) == '\\') { i += 1; s(i) match {
          case 'n' => sb += '\n'; case 't' => sb += '\t'; case 'u' => sb += Integer.parseInt(s.substring(i + 1, i + 5), 16).toChar; i += 4
          case c => sb += c } } else sb += s(i)
        i += 1
      }
      i += 1; sb.toString
    }
  }
}

/** Test runner: each test is a named block; the last line is "N passed, N failed". */
object TestRunner {
  private var passed = 0
  private var failed = 0
  private def test(name: String)(body: => Unit): Unit =
    try { body; passed += 1; println(s"ok   $name") }
    catch { case e: Throwable => failed += 1; println(s"FAIL $name: $e") }
  private def assertTrue(c: Boolean, msg: => String): Unit = if (!c) throw new AssertionError(msg)
  private def close(a: Array[Double], b: Array[Double], rtol: Double, atol: Double): Boolean =
    a.length == b.length && a.zip(b).forall { case (x, y) => math.abs(x - y) <= atol + rtol * math.abs(y) }

  def manifestOps: Seq[Map[String, Any]] =
    Json.parse(Base.registryJson).asInstanceOf[Map[String, Any]]("ops").asInstanceOf[List[Map[String, Any]]]
  def publicOps: Seq[String] = manifestOps.filter(_("public") == true).map(_("name").asInstanceOf[String]).sorted

  def main(args: Array[String]): Unit = {
    test("dtype round trips") {
      for (dt <- DType.codes.keys.toSeq.sorted if dt != "bool") {
        val a = NDArray.array(Array(0.0, 1, 2, 3, 4, 5), Array(2, 3), dt)
        assertTrue(a.dtype == dt && a.shape.toSeq == Seq(2L, 3L), s"$dt meta ${a.dtype} ${a.shape.toSeq}")
        assertTrue(a.toDoubleArray.toSeq == Seq(0.0, 1, 2, 3, 4, 5), s"$dt data ${a.toDoubleArray.toSeq}")
        assertTrue(a.toIntArray.toSeq == Seq(0, 1, 2, 3, 4, 5), s"$dt int data")
        a.close()
      }
      val f = NDArray.array(Array(1.5f, -2f), Array(2))
      assertTrue(f.dtype == "float32" && f.toArray.toSeq == Seq(1.5f, -2f), "float32")
      val i = NDArray.array(Array(7, -8, 9), Array(3))
      assertTrue(i.dtype == "int32" && i.toIntArray.toSeq == Seq(7, -8, 9), "int32")
      val l = NDArray.array(Array(1L << 40, -3L), Array(2), "int64")
      assertTrue(l.toLongArray.toSeq == Seq(1L << 40, -3L), "int64")
      val b = NDArray.array(Array(true, false, true), Array(3))
      assertTrue(b.dtype == "bool" && b.toBooleanArray.toSeq == Seq(true, false, true), "bool")
      assertTrue(b.device == "cpu(0)", b.device)
    }
    test("operators, printing and dispose") {
      val a = NDArray.array(Array(1f, 2f, 3f, 4f), Array(2, 2))
      assertTrue((a + a).toArray.toSeq == Seq(2f, 4f, 6f, 8f), "+")
      assertTrue((a * a - a).toArray.toSeq == Seq(0f, 2f, 6f, 12f), "* -")
      assertTrue((a * 3).toArray.toSeq == Seq(3f, 6f, 9f, 12f), "* scalar")
      assertTrue((-a).toArray.toSeq == Seq(-1f, -2f, -3f, -4f), "unary -")
      if (publicOps.contains("broadcast_greater")) assertTrue((a > 2).toArray.toSeq == Seq(0f, 0f, 1f, 1f), ">")
      assertTrue(a.toString.startsWith("<NDArray 2x2 float32 @cpu(0)>"), a.toString)
      a.close(); a.close()
      val r = try { a.toArray; "no error" } catch { case e: MXNetError => e.getMessage }
      assertTrue(r.contains("disposed"), r)
    }
    test("core errors become MXNetError with the core's message") {
      val a = NDArray.array(Array(1f, 2f, 3f, 4f, 5f, 6f), Array(2, 3))
      val b = NDArray.array(Array(1f, 2f), Array(2))
      val m = try { NDArray.elemwise_add(a, b); "no error" } catch { case e: MXNetError => e.getMessage }
      assertTrue(m.contains("elemwise_add") && m.contains("same shape"), m)
      val u = try { NDArray.invoke("no_such_op", Seq(a), Nil); "" } catch { case e: MXNetError => e.getMessage }
      assertTrue(u.contains("unknown op 'no_such_op'"), u)
    }
    test("autograd d/dx sum(x*x) = 2x") {
      val x = NDArray.array(Array(1.0, -2, 3, 0.5), Array(2, 2))
      Autograd.markVariables(Seq(x))
      val y = Autograd.record { NDArray.elemwise_mul(x, x) }
      Autograd.backward(Seq(y))
      assertTrue(close(x.grad.toDoubleArray, x.toDoubleArray.map(2 * _), 1e-12, 1e-12), x.grad.toString)
    }
    test("random seed and params files") {
      Random.seed(42)
      val f = java.io.File.createTempFile("mxcore", ".params"); f.deleteOnExit()
      val w = NDArray.array(Array(1f, 2f, 3f), Array(3))
      val saved = try { NDArray.save(f.getPath, Seq("w" -> w)); true }
      catch { case e: UnsatisfiedLinkError => println("     (skip: mx_save not in this core yet)"); false }
      if (saved) {
        val l = NDArray.load(f.getPath)
        assertTrue(l.map(_._1) == Seq("w") && l.head._2.toArray.toSeq == Seq(1f, 2f, 3f), "load")
      }
    }
    test("exactly the manifest's public ops are generated") {
      assertTrue(NDArray.generatedOps.sorted == publicOps, s"${NDArray.generatedOps.sorted} vs $publicOps")
      val methods = classOf[NDArrayOps].getDeclaredMethods.map(_.getName).filterNot(_.contains("$")).toSet - "generatedOps"
      assertTrue(methods == publicOps.toSet, s"methods $methods")
    }
    test("generated ops match the shared numpy vectors") {
      val path = sys.env.getOrElse("MXCORE_VECTORS", "../../tests/vectors/vectors.json")
      val v = Json.parse(scala.io.Source.fromFile(path).mkString).asInstanceOf[Map[String, Any]]
      val ops = publicOps.toSet
      var ran = 0
      def nd(e: Map[String, Any]): NDArray = NDArray.array(e("data").asInstanceOf[List[Double]].toArray,
        e("shape").asInstanceOf[List[Double]].map(_.toInt).toArray, e("dtype").asInstanceOf[String])
      for (c <- v("cases").asInstanceOf[List[Map[String, Any]]] if ops.contains(c("op").asInstanceOf[String])) {
        val op = c("op").asInstanceOf[String]
        val ins = c("inputs").asInstanceOf[List[Map[String, Any]]].map(nd)
        // call the generated method reflectively with inputs by position, attrs as strings
        val m = classOf[NDArrayOps].getDeclaredMethods.find(_.getName == op).get
        val out: Array[NDArray] =
          if (c("attrs").asInstanceOf[Map[String, Any]].isEmpty && m.getParameterCount == ins.length)
            m.invoke(NDArray, ins: _*) match { case a: NDArray => Array(a); case a: Array[NDArray] => a }
          else NDArray.invoke(op, ins, c("attrs").asInstanceOf[Map[String, Any]].toSeq)
        for ((e, k) <- c("outputs").asInstanceOf[List[Map[String, Any]]].zipWithIndex) {
          val want = e("data").asInstanceOf[List[Double]].toArray
          assertTrue(out(k).dtype == e("dtype") && out(k).shape.toSeq == e("shape").asInstanceOf[List[Double]].map(_.toLong), s"$op meta")
          assertTrue(close(out(k).toDoubleArray, want, c("rtol").asInstanceOf[Double], c("atol").asInstanceOf[Double]), s"$op values")
        }
        ran += 1
      }
      assertTrue(ran > 3, s"only $ran cases ran")
      println(s"     ($ran vector cases)")
    }
    println(s"$passed passed, $failed failed")
    if (failed > 0) sys.exit(1)
  }
}
