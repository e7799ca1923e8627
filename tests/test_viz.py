"""viz.to_dot: the DOT text parses (by a small parser written here), says what the graph holds, and renders."""
import shutil
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import tinygrad_edu as tg
from tinygrad_edu import viz

HAVE_DOT = shutil.which("dot") is not None
PUNCTUATION = "{}[];,="


def tokenize(text):
    """DOT tokens: identifiers, "strings" (unescaped), <html> strings (kept as-is), -> and punctuation."""
    tokens, i = [], 0
    while i < len(text):
        c = text[i]
        if c.isspace():
            i += 1
        elif c == '"':
            out, i = [], i + 1
            while text[i] != '"':
                if text[i] == "\\":
                    nxt = text[i + 1]
                    out.append({"n": "\n", '"': '"', "\\": "\\"}[nxt])
                    i += 2
                else:
                    out.append(text[i])
                    i += 1
            tokens.append(("string", "".join(out)))
            i += 1
        elif c == "<":
            depth, start = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[i], 0)
                i += 1
                if depth == 0:
                    break
            tokens.append(("html", text[start + 1:i - 1]))
        elif text.startswith("->", i):
            tokens.append(("op", "->"))
            i += 2
        elif c in PUNCTUATION:
            tokens.append(("op", c))
            i += 1
        elif c.isalnum() or c == "_":
            start = i
            while i < len(text) and (text[i].isalnum() or text[i] in "_."):
                i += 1
            tokens.append(("id", text[start:i]))
        else:
            raise ValueError(f"unexpected character {c!r} at {i}")
    return tokens


def parse_dot(text):
    """Parse the subset of DOT to_dot writes; fail on anything else. Returns (nodes, edges)."""
    tokens = tokenize(text)
    pos = 0

    def take(kind=None, value=None):
        nonlocal pos
        token = tokens[pos]
        if (kind and token[0] != kind) or (value and token[1] != value):
            raise ValueError(f"expected {kind} {value}, got {token} at token {pos}")
        pos += 1
        return token

    def attributes():
        attrs = {}
        take("op", "[")
        while tokens[pos] != ("op", "]"):
            key = take("id")[1]
            take("op", "=")
            attrs[key] = tokens[pos][1]
            take()
            if tokens[pos] == ("op", ","):
                take()
        take("op", "]")
        return attrs

    take("id", "digraph")
    take()  # the graph's name
    take("op", "{")
    nodes, edges = {}, []
    while tokens[pos] != ("op", "}"):
        first = take()[1]
        if tokens[pos] == ("op", "="):
            take()
            take()
        elif first in ("node", "edge"):
            attributes()
        elif tokens[pos] == ("op", "->"):
            take()
            target = take("id")[1]
            attrs = attributes() if tokens[pos] == ("op", "[") else {}
            edges.append((first, target, attrs))
        else:
            if first in nodes:
                raise ValueError(f"node {first} declared twice")
            nodes[first] = attributes() if tokens[pos] == ("op", "[") else {}
        take("op", ";")
    take("op", "}")
    if pos != len(tokens):
        raise ValueError("text after the closing brace")
    for source, target, _ in edges:
        if source not in nodes or target not in nodes:
            raise ValueError(f"edge {source} -> {target} names an undeclared node")
    return nodes, edges


def leaf(value, name=None):
    return tg.tensor(value, dtype=np.float64, requires_grad=True, name=name)


def tour_graph():
    x = leaf([0.5, -1.0, 2.0], "x")
    w = leaf([[0.3], [1.2]], "w")
    b = leaf(0.1, "b")
    y = (x * w + b).tanh()
    y.name = "y"
    return x, w, b, y


def labels(nodes, prefix):
    return {k: v["label"] for k, v in nodes.items() if k.startswith(prefix)}


def test_parser_rejects_what_it_should():
    with pytest.raises(ValueError, match="undeclared"):
        parse_dot('digraph g { a [label="a"]; a -> b; }')
    with pytest.raises((ValueError, IndexError)):
        parse_dot('digraph g { a [label="a"]; ')
    with pytest.raises(ValueError, match="twice"):
        parse_dot("digraph g { a; a; }")


def test_tour_graph_nodes_and_edges():
    x, w, b, y = tour_graph()
    nodes, edges = parse_dot(str(viz.to_dot(y)))
    ops = sorted(label.split("\n")[0] for label in labels(nodes, "op").values())
    assert ops == ["AddBackward", "BroadcastToBackward", "BroadcastToBackward", "BroadcastToBackward",
                   "MulBackward", "TanhBackward"]
    tensors = labels(nodes, "t")
    assert len(tensors) == 9  # x, w, b, three broadcasts, x*w, +b, y
    assert len(edges) == 6 + 9 - 1  # one edge out of every op, one per tensor input (tanh 1, add 2, mul 2, bc 3)
    by_name = {label.split("\n")[0]: label for label in tensors.values()}
    assert by_name["x"] == "x\n(3,) float64\nrequires_grad=True"
    assert by_name["w"] == "w\n(2, 1) float64\nrequires_grad=True"
    assert by_name["b"] == "b\n() float64\nrequires_grad=True"
    assert by_name["y"] == "y\n(2, 3) float64"
    # Edges follow the data: each op's output edge goes to a tensor, each input edge to an op.
    assert all(s.startswith("op") != t.startswith("op") for s, t, _ in edges)
    root = next(k for k, v in nodes.items() if v.get("label", "").startswith("y\n"))
    assert nodes[root]["penwidth"] == "2"


def test_broadcast_edges_are_marked_with_the_summed_axes():
    x, w, b, y = tour_graph()
    nodes, edges = parse_dot(str(viz.to_dot(y)))
    marked = {nodes[s]["label"].split("\n")[0]: a["label"] for s, t, a in edges if "broadcast" in a.get("label", "")}
    assert marked == {"x": "broadcast (3,) → (2, 3)\nbackward sums axes (0,)",
                      "w": "broadcast (2, 1) → (2, 3)\nbackward sums axes (1,)",
                      "b": "broadcast () → (2, 3)\nbackward sums axes (0, 1)"}
    assert all(a["color"] == viz.BROADCAST_COLOR for s, t, a in edges if "broadcast" in a.get("label", ""))


def test_sum_to_edges_are_marked():
    x = leaf(np.ones((2, 3)), "x")
    nodes, edges = parse_dot(str(viz.to_dot(x.sum_to(1, 3))))
    label, = [a["label"] for _, _, a in edges if a]
    assert label == "sum_to (1, 3)\nbackward broadcasts back"


def test_fan_out_edges_are_marked_and_numbered():
    x = leaf(1.5, "x")
    y = (x * 2) * (x * 3)
    nodes, edges = parse_dot(str(viz.to_dot(y)))
    x_id = next(k for k, v in nodes.items() if v.get("label", "").startswith("x\n"))
    assert nodes[x_id]["label"].endswith("used 2x: backward adds 2 gradients")
    out_of_x = [a["label"] for s, _, a in edges if s == x_id]
    assert out_of_x == ["use 1 of 2: gradients added", "use 2 of 2: gradients added"]
    marked = [s for s, _, a in edges if "gradients added" in a.get("label", "")]
    assert marked == [x_id, x_id]  # no other tensor is used twice


def test_same_tensor_twice_in_one_op_counts_as_fan_out():
    x = leaf([1.0, 2.0], "x")
    nodes, edges = parse_dot(str(viz.to_dot(x * x)))
    labels_out = sorted(a["label"] for _, _, a in edges if a)
    assert labels_out == ["arg 0\nuse 1 of 2: gradients added", "arg 1\nuse 2 of 2: gradients added"]


def test_values_and_grads_are_summarised():
    x, w, b, y = tour_graph()
    y.sum().backward(retain_graph=True)
    nodes, _ = parse_dot(str(viz.to_dot(y, show_values=True, show_grads=True)))
    by_name = {v["label"].split("\n")[0]: v["label"] for v in nodes.values() if "label" in v}
    t = np.tanh(np.array([0.5, -1.0, 2.0]) * np.array([[0.3], [1.2]]) + 0.1)
    db = (1 - t * t).sum()
    assert by_name["b"].split("\n")[3:] == ["value 0.1", f"grad {db:.6g}"]
    dx = ((1 - t * t) * np.array([[0.3], [1.2]])).sum(axis=0)
    assert by_name["x"].split("\n")[3:] == [
        f"value norm {np.linalg.norm([0.5, -1.0, 2.0]):.4g} min -1 max 2",
        f"grad norm {np.linalg.norm(dx):.4g} min {dx.min():.4g} max {dx.max():.4g}"]
    assert by_name["y"].split("\n")[2] == f"value norm {np.linalg.norm(t):.4g} min {t.min():.4g} max {t.max():.4g}"
    hidden, _ = parse_dot(str(viz.to_dot(y, show_values=False, show_grads=False)))
    assert not any("value" in v.get("label", "") or "grad " in v.get("label", "") for v in hidden.values())


def test_a_freed_graph_is_drawn_as_freed():
    x, w, b, y = tour_graph()
    y.sum().backward()  # frees every node
    nodes, edges = parse_dot(str(viz.to_dot(y)))
    op, = [v for k, v in nodes.items() if k.startswith("op")]
    assert op["label"] == "TanhBackward\n(freed by backward)" and op["style"] == "dashed"
    assert len(edges) == 1  # the freed node no longer knows its inputs


def test_constants_are_shown_on_the_op():
    x = leaf([1.0, 2.0], "x")
    nodes, _ = parse_dot(str(viz.to_dot((x * 2).reshape(2, 1))))
    assert sorted(labels(nodes, "op").values()) == ["MulBackward\n2", "ReshapeBackward\n(2, 1)"]


def test_backward_graph_of_create_graph():
    x = leaf(0.3, "x")
    y = x.tanh()
    gx, = tg.grad(y, [x], create_graph=True)
    gx.name = "dy/dx"
    nodes, edges = parse_dot(str(viz.to_dot(gx)))
    ops = [v["label"].split("\n")[0] for k, v in nodes.items() if k.startswith("op")]
    assert "TanhBackward" in ops and len(ops) >= 3
    assert any(v.get("label", "").startswith("dy/dx\n") for v in nodes.values())
    assert any(v.get("label", "").startswith("x\n") for v in nodes.values())


def test_names_with_quotes_and_backslashes_survive_quoting():
    name = 'a "quoted"\\name'
    x = leaf([1.0], name)
    nodes, _ = parse_dot(str(viz.to_dot(x.exp())))
    assert any(v.get("label", "").startswith(name + "\n") for v in nodes.values())


def test_a_leaf_alone_is_one_node():
    nodes, edges = parse_dot(str(viz.to_dot(leaf([1.0, 2.0], "w"))))
    assert list(nodes) == ["t0"] and edges == []


def book_graph():
    apple, apple_num, tax = leaf(100.0, "apple"), leaf(2.0, "apple_num"), leaf(1.1, "tax")
    apple_price = apple * apple_num
    apple_price.retain_grad()
    price = apple_price * tax
    price.name = "price"
    price.retain_grad()
    price.backward(retain_graph=True)
    return price


def test_book_style_puts_values_and_grads_on_edges():
    nodes, edges = parse_dot(str(viz.to_dot(book_graph(), show_values=True, values_on_edges=True)))
    names = {k: v["label"] for k, v in nodes.items() if v.get("shape") == "plaintext"}
    assert sorted(names.values()) == ["apple", "apple_num", "price", "tax"]
    assert sorted(v["label"] for v in nodes.values() if v.get("shape") == "circle") == ["×", "×"]
    red = f'<FONT COLOR="{viz.GRAD_COLOR}">'
    on_edges = sorted((names.get(s, "op"), names.get(t, "op"), a["label"]) for s, t, a in edges)
    assert on_edges == [("apple", "op", f"100<BR/>{red}2.2</FONT>"), ("apple_num", "op", f"2<BR/>{red}110</FONT>"),
                        ("op", "op", f"200<BR/>{red}1.1</FONT>"), ("op", "price", f"220<BR/>{red}1</FONT>"),
                        ("tax", "op", f"1.1<BR/>{red}200</FONT>")]


def test_graphviz_missing_gives_install_instructions(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    graph = viz.to_dot(tour_graph()[3])
    with pytest.raises(viz.GraphvizNotFoundError, match="apt-get install graphviz") as error:
        graph.render(tmp_path / "g.svg")
    assert "conda install" in str(error.value) and "brew install graphviz" in str(error.value)
    assert graph._repr_svg_() is None
    assert graph.save(tmp_path / "g.dot").read_text().startswith("digraph")


def test_format_and_type_errors(tmp_path):
    graph = viz.to_dot(tour_graph()[3])
    with pytest.raises(ValueError, match="cannot tell the picture format"):
        graph.render(tmp_path / "graph.bmp")
    with pytest.raises(ValueError, match="render format must be one of"):
        graph.pipe("gif")
    with pytest.raises(TypeError, match="got a ndarray"):
        viz.to_dot(np.ones(3))


@pytest.mark.skipif(not HAVE_DOT, reason="Graphviz `dot` is not installed")
def test_render_with_graphviz(tmp_path):
    x, w, b, y = tour_graph()
    y.sum().backward(retain_graph=True)
    for graph in (viz.to_dot(y, show_values=True), viz.to_dot(book_graph(), True, values_on_edges=True)):
        nodes, edges = parse_dot(str(graph))
        svg = ElementTree.fromstring(graph._repr_svg_())
        classes = [g.get("class") for g in svg.iter("{http://www.w3.org/2000/svg}g")]
        assert classes.count("node") == len(nodes) and classes.count("edge") == len(edges)
        svg_path = graph.render(tmp_path / "graph.svg")
        assert ElementTree.parse(svg_path).getroot().tag.endswith("svg")
        png = graph.render(tmp_path / "graph.out", format="png").read_bytes()
        assert png.startswith(b"\x89PNG\r\n\x1a\n")


def random_graph(draw_ops, values):
    """Build a graph from a list of (op, operand index) choices over a growing pool of tensors."""
    pool = [leaf(values[0], "p0"), leaf(values[1], "p1")]
    for op, i, j in draw_ops:
        a, b = pool[i % len(pool)], pool[j % len(pool)]
        pool.append({"add": a + b, "mul": a * b, "exp": a.exp(), "sum": a.sum(axis=0, keepdims=True)}[op])
    return pool[-1]


@given(st.lists(st.tuples(st.sampled_from(["add", "mul", "exp", "sum"]), st.integers(0, 20), st.integers(0, 20)),
                min_size=1, max_size=12))
def test_random_graphs_give_valid_dot_with_one_node_per_op(choices):
    out = random_graph(choices, [np.ones((2, 3)) * 0.5, np.ones((1, 3)) * 0.25])
    nodes, edges = parse_dot(str(viz.to_dot(out)))
    contexts, stack = set(), [out]
    while stack:  # an independent walk: every distinct grad_fn reachable from out
        t = stack.pop()
        if t.grad_fn is not None and t.grad_fn not in contexts:
            contexts.add(t.grad_fn)
            stack.extend(a for a in t.grad_fn.inputs if isinstance(a, tg.Tensor))
    assert sum(k.startswith("op") for k in nodes) == len(contexts)
    inputs = sum(isinstance(a, tg.Tensor) for c in contexts for a in c.inputs)
    assert len(edges) == inputs + len(contexts)


def test_a_constant_used_twice_is_not_marked_as_fan_out():
    c = tg.tensor([1.0, 2.0], dtype=np.float64, name="c")  # requires no grad: nothing flows back to it
    x = leaf([3.0, 4.0], "x")
    nodes, edges = parse_dot(str(viz.to_dot((x * c) + (x.exp() * c))))
    c_id = next(k for k, v in nodes.items() if v.get("label", "").startswith("c\n"))
    assert "used" not in nodes[c_id]["label"]
    assert [a.get("label", "") for s, _, a in edges if s == c_id] == ["arg 1", "arg 1"]
    x_id = next(k for k, v in nodes.items() if v.get("label", "").startswith("x\n"))
    assert nodes[x_id]["label"].endswith("used 2x: backward adds 2 gradients")
