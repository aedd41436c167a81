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
          if (c("attrs").asInstanceOf[Map[String, Any]].isEmpty && m.getParameterCount == ins.length + 1)
            m.invoke(NDArray, (ins :+ null): _*) match { case a: NDArray => Array(a); case a: Array[NDArray] => a }
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
    test("sgd_mom_update vs hand-computed update, momentum in place") {
      if (publicOps.contains("sgd_mom_update")) {
        val w = NDArray.array(Array(1.0, 2, -3, 0.5), Array(4))
        val g = NDArray.array(Array(0.5, -1, 2, 0), Array(4))
        val mom = NDArray.array(Array(0.1, 0, -0.2, 0.3), Array(4))
        // g' = 0.5 g + 0.01 w = (0.26, -0.48, 0.97, 0.005); mom = 0.9 mom - 0.1 g'; w += mom
        val r = NDArray.sgd_mom_update(w, g, mom, lr = 0.1, momentum = 0.9, wd = 0.01, rescale_grad = 0.5, out = w)
        assertTrue(r eq w, "out= returns the out array")
        assertTrue(close(mom.toDoubleArray, Array(0.064, 0.048, -0.277, 0.2695), 1e-12, 1e-12), mom.toString)
        assertTrue(close(w.toDoubleArray, Array(1.064, 2.048, -3.277, 0.7695), 1e-12, 1e-12), w.toString)
      } else println("     (skip: sgd_mom_update not in this core)")
    }
    test("sgd_update with clipping; out= writes in place, no out leaves inputs alone") {
      if (publicOps.contains("sgd_update")) {
        val w = NDArray.array(Array(1.0, -1, 2), Array(3))
        val g = NDArray.array(Array(4.0, -0.5, -9), Array(3))
        // clip(2 g, 3) + 0.1 w = (3.1, -1.1, -2.8); w - 0.5 * that
        val want = Array(-0.55, -0.45, 3.4)
        val fresh = NDArray.sgd_update(w, g, lr = 0.5, wd = 0.1, rescale_grad = 2, clip_gradient = 3)
        assertTrue(close(fresh.toDoubleArray, want, 1e-12, 1e-12), fresh.toString)
        assertTrue(w.toDoubleArray.toSeq == Seq(1.0, -1, 2), "input untouched")
        NDArray.sgd_update(w, g, lr = 0.5, wd = 0.1, rescale_grad = 2, clip_gradient = 3, out = w)
        assertTrue(close(w.toDoubleArray, want, 1e-12, 1e-12), w.toString)
      } else println("     (skip: sgd_update not in this core)")
    }
    test("adam_update vs hand-computed update, moments in place") {
      if (publicOps.contains("adam_update")) {
        val w = NDArray.array(Array(1.0, 2, -3, 0.5), Array(4))
        val g = NDArray.array(Array(0.5, -1, 2, 0), Array(4))
        val m = NDArray.array(Array(0.1, 0.2, 0, -0.1), Array(4))
        val v = NDArray.array(Array(0.01, 0.04, 0, 0.02), Array(4))
        NDArray.adam_update(w, g, m, v, lr = 0.01, beta1 = 0.9, beta2 = 0.99, epsilon = 1e-8, wd = 0.1,
          rescale_grad = 2, clip_gradient = 1.5, out = w)
        // g' = clip(2 g + 0.1 w, 1.5) = (1.1, -1.5, 1.5, 0.05)
        val m1 = Array(0.2, 0.03, 0.15, -0.085)
        val v1 = Array(0.022, 0.0621, 0.0225, 0.019825)
        val w1 = Array(1.0, 2, -3, 0.5).indices.map(i => Array(1.0, 2, -3, 0.5)(i) - 0.01 * m1(i) / (math.sqrt(v1(i)) + 1e-8)).toArray
        assertTrue(close(m.toDoubleArray, m1, 1e-12, 1e-12), m.toString)
        assertTrue(close(v.toDoubleArray, v1, 1e-12, 1e-12), v.toString)
        assertTrue(close(w.toDoubleArray, w1, 1e-12, 1e-12), w.toString)
      } else println("     (skip: adam_update not in this core)")
    }
    test("all six comparison operators: broadcasting, ties, 0/1 in the input dtype") {
      val av = Array(1.0, 2, 3, 4, 5, 6)
      val bv = Array(2.0, 2, 7)
      val a = NDArray.array(av.map(_.toFloat), Array(2, 3))
      val b = NDArray.array(bv.map(_.toFloat), Array(1, 3))
      val want = (f: (Double, Double) => Boolean) => av.indices.map(i => if (f(av(i), bv(i % 3))) 1.0 else 0.0).toSeq
      val wantS = (f: (Double, Double) => Boolean) => av.map(x => if (f(x, 2.0)) 1.0 else 0.0).toSeq
      val cases: Seq[(String, NDArray, NDArray, NDArray, (Double, Double) => Boolean)] = Seq(
        ("broadcast_equal", NDArray.broadcast_equal(a, b), a === b, a === 2, _ == _),
        ("broadcast_not_equal", NDArray.broadcast_not_equal(a, b), a !== b, a !== 2, _ != _),
        ("broadcast_greater", NDArray.broadcast_greater(a, b), a > b, a > 2, _ > _),
        ("broadcast_greater_equal", NDArray.broadcast_greater_equal(a, b), a >= b, a >= 2, _ >= _),
        ("broadcast_lesser", NDArray.broadcast_lesser(a, b), a < b, a < 2, _ < _),
        ("broadcast_lesser_equal", NDArray.broadcast_lesser_equal(a, b), a <= b, a <= 2, _ <= _))
      for ((op, gen, oper, scal, f) <- cases) {
        assertTrue(gen.dtype == "float32" && gen.shape.toSeq == Seq(2L, 3L), s"$op meta ${gen.dtype}")
        assertTrue(gen.toDoubleArray.toSeq == want(f), s"$op ${gen.toDoubleArray.toSeq}")
        assertTrue(oper.toDoubleArray.toSeq == want(f), s"$op operator")
        assertTrue(scal.toDoubleArray.toSeq == wantS(f), s"$op scalar ${scal.toDoubleArray.toSeq}")
      }
      val i = NDArray.array(Array(1, 5, -3), Array(3))
      val r = i > NDArray.array(Array(0, 5, -4), Array(3))
      assertTrue(r.dtype == "int32" && r.toIntArray.toSeq == Seq(1, 0, 1), s"int32 ${r.dtype}")
    }
    test("seed MLP: 20 steps reproduce Python's losses; trained weights saved") {
      val dir = sys.env.getOrElse("MXCORE_MLP_DIR", "../../tests/vectors/mlp")
      if (!new java.io.File(dir, "losses.json").isFile)
        throw new AssertionError(s"MLP reference not found in $dir (run tests/vectors/make_mlp_reference.py or set MXCORE_MLP_DIR)")
      val ref = Json.parse(scala.io.Source.fromFile(new java.io.File(dir, "losses.json")).mkString).asInstanceOf[Map[String, Any]]
      val refLosses = ref("losses").asInstanceOf[List[Double]].toArray
      val steps = ref("steps").asInstanceOf[Double].toInt
      val n = ref("batch").asInstanceOf[Double]
      val lr = ref("lr").asInstanceOf[Double]
      val data = NDArray.load(new java.io.File(dir, "data.params").getPath).toMap
      val p = NDArray.load(new java.io.File(dir, "init.params").getPath).toMap
      val names = Seq("fc1_weight", "fc1_bias", "fc2_weight", "fc2_bias")
      assertTrue(data("X").shape.toSeq == Seq(64L, 784L) && p("fc1_weight").shape.toSeq == Seq(100L, 784L), "shapes")
      Autograd.markVariables(names.map(p))
      val losses = (1 to steps).map { _ =>
        val loss = Autograd.record {
          val h = NDArray.FullyConnected(data("X"), p("fc1_weight"), p("fc1_bias"), num_hidden = 100)
          val a = NDArray.Activation(h, act_type = "relu")
          val o = NDArray.FullyConnected(a, p("fc2_weight"), p("fc2_bias"), num_hidden = 10)
          NDArray.softmax_cross_entropy(o, data("y"))
        }
        Autograd.backward(Seq(loss))
        val l = loss.toDoubleArray(0) / n
        for (k <- names) NDArray.sgd_update(p(k), p(k).grad, lr = lr, rescale_grad = 1 / n, out = p(k))
        l
      }.toArray
      val worst = losses.indices.map(i => math.abs(losses(i) - refLosses(i))).max
      assertTrue(losses.length == refLosses.length && worst < 1e-5, s"losses ${losses.toSeq} vs ${refLosses.toSeq}")
      val out = sys.env.get("MXCORE_MLP_OUT").map(d => new java.io.File(d, "trained-scala.params"))
        .getOrElse { val f = java.io.File.createTempFile("mlp", ".params"); f.deleteOnExit(); f }
      NDArray.save(out.getPath, names.map(k => k -> p(k)))
      val back = NDArray.load(out.getPath).toMap
      assertTrue(back.keySet == names.toSet && back("fc2_weight").toArray.toSeq == p("fc2_weight").toArray.toSeq, "reload")
      println(f"     (final loss ${losses.last}%.6f, max |diff| $worst%.2g)")
    }
    test("models exported by MXNet 1.9.1 predict MXNet's outputs (core graph executor)") {
      val dir = sys.env.getOrElse("MXCORE_MXNET_REF", "../../tests/data/mxnet_ref")
      if (!new java.io.File(dir, "cnn_bn-symbol.json").isFile)
        throw new AssertionError(s"MXNet reference models not found in $dir (set MXCORE_MXNET_REF)")
      for (m <- Seq("mlp", "cnn_bn")) {
        val io = NDArray.load(new java.io.File(dir, s"$m-io.params").getPath).toMap
        val pred = new Predictor(new java.io.File(dir, m).getPath, 0)
        try {
          val y = pred.predict(io("x"))
          assertTrue(y.length == 1 && y.head.shape.toSeq == io("y").shape.toSeq, s"$m shape ${y.head.shape.toSeq}")
          assertTrue(close(y.head.toDoubleArray, io("y").toDoubleArray, 1e-4, 1e-5), s"$m: ${y.head} vs ${io("y")}")
        } finally pred.close()
      }
      val (sym, _, aux) = Model.loadCheckpoint(new java.io.File(dir, "cnn_bn").getPath, 0)
      assertTrue(sym.auxiliaryStates.toSet == aux.keySet && sym.auxiliaryStates.length == 4 &&
        sym.auxiliaryStates.head == "batchnorm0_running_mean" && sym.arguments.head == "data", sym.auxiliaryStates.toString)
    }
    test("Symbol.run on a small graph; bad input is an MXNetError naming it") {
      val s = Symbol.fromJson("""{"nodes":[{"op":"null","name":"x","inputs":[]},
        {"op":"null","name":"w","inputs":[]},
        {"op":"elemwise_mul","name":"m","inputs":[[0,0,0],[1,0,0]]},
        {"op":"relu","name":"r","inputs":[[2,0,0]]}],"arg_nodes":[0,1],"heads":[[3,0,0]]}""")
      assertTrue(s.arguments == Seq("x", "w") && s.outputs == Seq("r_output"), s.toString)
      val out = s.run(Map("w" -> NDArray.array(Array(2f, 2f, -1f), Array(3)), "x" -> NDArray.array(Array(-1f, 3f, -4f), Array(3))))
      assertTrue(out.head._1 == "r_output" && out.head._2.toArray.toSeq == Seq(0f, 6f, 4f), out.toString)
      assertTrue(s.toJson.contains("elemwise_mul"), "json")
      val miss = try { s.run(Map("x" -> NDArray.array(Array(1f), Array(1)))); "" } catch { case e: MXNetError => e.getMessage }
      assertTrue(miss.contains("no value for argument 'w'"), miss)
      val bad = try { s.run(Map("x" -> NDArray.array(Array(1f, 2f), Array(2)), "w" -> NDArray.array(Array(1f, 2f, 3f), Array(3)))); "" }
        catch { case e: MXNetError => e.getMessage }
      assertTrue(bad.contains("node 'm'") && bad.contains("(2,) and (3,)"), bad)
      val unk = try { Symbol.fromJson("""{"nodes":[{"op":"NoSuchOp","name":"bad1","inputs":[]}],"heads":[[0,0,0]]}"""); "" }
        catch { case e: MXNetError => e.getMessage }
      assertTrue(unk.contains("bad1") && unk.contains("NoSuchOp"), unk)
      s.close()
      val closed = try { s.outputs; "" } catch { case e: MXNetError => e.getMessage }
      assertTrue(closed.contains("closed"), closed)
    }
    println(s"$passed passed, $failed failed")
    if (failed > 0) sys.exit(1)
  }
}
