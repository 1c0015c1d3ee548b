"""Running user Java code for the Java Snippet nodes: a JDK is found, the generated class is compiled
with javac (cached by a hash of its sources) together with a small runtime, and ONE JVM reads every
row from a file and writes every result to another.

The runtime stands in for the KNIME classes a snippet compiles against: `AbstractJSnippet`, `Abort`,
`Type.tString` ... of `org.knime.base.node.jsnippet.expression` (Java Snippet, Java Edit Variable)
and `AbstractSnippetExpression`/`Abort` of `org.knime.ext.sun.nodes.script.expression` (the simple
nodes), plus `knitflow.Runner`, the loop that sets the snippet's fields from each row and reads its
output fields back. The Java sources live below as strings (no package data to ship).

Protocol (big-endian, java.io.Data*Stream): a value is a tag byte and its payload: N (null), D
(double, raw IEEE bits, so doubles round-trip exactly), I (int), J (long), Z (boolean), S (int byte
length + UTF-8), A (int count + tagged elements), U (a cell type Java cannot be handed: its name),
and in answers X (another Java object: class name and toString).
"""

from __future__ import annotations

import hashlib
import math
import os
import re
import shutil
import struct
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from engine.api import ColumnType, NodeContext, NodeError

# ------------------------------------------------------------------------------------------ the JDK

JDK_MISSING = (
    "the Java Snippet nodes compile the snippet with a JDK, but no javac was found (looked in "
    "$JAVA_HOME/bin and on PATH): install a JDK, e.g. `apt-get install openjdk-17-jdk-headless`"
)


def find_jdk() -> tuple[str, str] | None:
    """(javac, java) of $JAVA_HOME or of PATH, or None when there is no javac."""
    home = os.environ.get("JAVA_HOME")
    if home:
        javac, java = Path(home, "bin", "javac"), Path(home, "bin", "java")
        if javac.is_file() and java.is_file():
            return str(javac), str(java)
    javac_path = shutil.which("javac")
    if javac_path is None:
        return None
    sibling = Path(javac_path).resolve().parent / "java"
    java_path = str(sibling) if sibling.is_file() else shutil.which("java")
    return (javac_path, java_path) if java_path else None


def require_jdk() -> tuple[str, str]:
    jdk = find_jdk()
    if jdk is None:
        raise NodeError(JDK_MISSING)
    return jdk


# ---------------------------------------------------------------------------------- the Java runtime

_JSNIPPET_PKG = "org/knime/base/node/jsnippet/expression"
_SCRIPT_PKG = "org/knime/ext/sun/nodes/script/expression"


def _exception(package: str, name: str) -> str:
    # unchecked: a snippet that compiles against KNIME's classes compiles against these too
    return f"""package {package};
public class {name} extends RuntimeException {{
    private static final long serialVersionUID = 1L;
    public {name}() {{ super(); }}
    public {name}(String message) {{ super(message); }}
    public {name}(String message, Throwable cause) {{ super(message, cause); }}
    public {name}(Throwable cause) {{ super(cause); }}
}}
"""


_JSNIPPET_PACKAGE = _JSNIPPET_PKG.replace("/", ".")
_SCRIPT_PACKAGE = _SCRIPT_PKG.replace("/", ".")

_TYPE_JAVA = f"""package {_JSNIPPET_PACKAGE};

import java.util.Calendar;
import java.util.Date;
import java.util.GregorianCalendar;
import org.w3c.dom.Document;

/** The type tokens of getCell/getFlowVariable (tString, tInt, ...). */
public final class Type {{
    public static final String tString = "";
    public static final Integer tInt = 0;
    public static final Double tDouble = 0.0;
    public static final Long tLong = 0L;
    public static final Boolean tBoolean = false;
    public static final Date tDate = new Date(0);
    public static final Calendar tCalendar = new GregorianCalendar();
    /** A stand-in document: building a real DOM would load the XML stack for every snippet. */
    public static final Document tXML = (Document) java.lang.reflect.Proxy.newProxyInstance(
        Type.class.getClassLoader(), new Class<?>[] {{Document.class}},
        (proxy, method, args) -> {{ throw new UnsupportedOperationException("tXML is a type token"); }});

    private Type() {{
    }}

    public static Class<?> getMembersClass(final Object t) {{
        if (t == tCalendar) {{
            return Calendar.class;
        }}
        if (t == tXML) {{
            return Document.class;
        }}
        return t.getClass();
    }}
}}
"""

_CELL_JAVA = f"""package {_JSNIPPET_PACKAGE};

/** A cell of the current row. */
public interface Cell {{
    Object getValueAs(Class<?> type) throws TypeException;

    boolean isMissing();
}}
"""

_ABSTRACT_JSNIPPET_JAVA = f"""package {_JSNIPPET_PACKAGE};

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import knitflow.Values;

/** The super class of a Java Snippet: the row's fields and the helper methods KNIME offers. */
public abstract class AbstractJSnippet {{
    public String ROWID = "";
    public int ROWINDEX = -1;
    public int ROWCOUNT = -1;

    private List<String> m_columns = new ArrayList<>();
    private List<String> m_types = new ArrayList<>();
    private Object[] m_cells = new Object[0];
    private Map<String, Object> m_vars = new LinkedHashMap<>();

    public abstract void snippet() throws TypeException, ColumnException, Abort;

    public final void knitflow$setup(final List<String> columns, final List<String> types,
        final Map<String, Object> vars, final int rowCount) {{
        m_columns = columns;
        m_types = types;
        m_vars = vars;
        ROWCOUNT = rowCount;
    }}

    public final void knitflow$row(final String rowId, final int rowIndex, final Object[] cells) {{
        ROWID = rowId;
        ROWINDEX = rowIndex;
        m_cells = cells;
    }}

    private int index(final String column) {{
        int i = m_columns.indexOf(column);
        if (i < 0) {{
            throw new ColumnException("The column " + column + " does not exist.");
        }}
        return i;
    }}

    private Object cell(final int column) {{
        if (column < 0 || column >= m_columns.size()) {{
            throw new ColumnException("The column index " + column + " is out of the allowed range [0,"
                + m_columns.size() + "].");
        }}
        Object value = m_cells[column];
        if (value == Values.NOT_SENT) {{
            throw new IllegalStateException("knitflow did not hand this cell to the snippet");
        }}
        return value;
    }}

    @SuppressWarnings("unchecked")
    protected <T> T getCell(final String col, final T t) throws TypeException, ColumnException {{
        return (T)Values.convert(cell(index(col)), Type.getMembersClass(t));
    }}

    @SuppressWarnings("unchecked")
    protected <T> T getCell(final int col, final T t) throws TypeException, ColumnException {{
        return (T)Values.convert(cell(col), Type.getMembersClass(t));
    }}

    protected <T> boolean isType(final String column, final T t) throws ColumnException {{
        return Values.canConvert(m_types.get(index(column)), Type.getMembersClass(t));
    }}

    protected <T> boolean isType(final int column, final T t) throws ColumnException {{
        cell(column);
        return Values.canConvert(m_types.get(column), Type.getMembersClass(t));
    }}

    protected boolean isMissing(final String column) throws ColumnException {{
        return cell(index(column)) == null;
    }}

    protected boolean isMissing(final int column) throws ColumnException {{
        return cell(column) == null;
    }}

    protected int getColumnCount() {{
        return m_columns.size();
    }}

    protected String getColumnName(final int index) {{
        return m_columns.get(index);
    }}

    protected boolean columnExists(final String column) {{
        return m_columns.contains(column);
    }}

    protected boolean columnExists(final int index) {{
        return index >= 0 && index < getColumnCount();
    }}

    @SuppressWarnings("unchecked")
    protected <T> T getFlowVariable(final String var, final T t) throws TypeException, FlowVariableException {{
        if (!m_vars.containsKey(var)) {{
            throw new FlowVariableException("The flow variable \\"" + var + "\\" does not exist.");
        }}
        return (T)Values.convertVariable(var, m_vars.get(var), Type.getMembersClass(t));
    }}

    @SuppressWarnings("unchecked")
    protected <T> Map<String, T> getFlowVariables(final T t) {{
        Map<String, T> result = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : m_vars.entrySet()) {{
            if (e.getValue() != null && e.getValue().getClass().equals(t.getClass())) {{
                result.put(e.getKey(), (T)e.getValue());
            }}
        }}
        return result;
    }}

    protected boolean flowVariableExists(final String name) {{
        return m_vars.containsKey(name);
    }}

    protected boolean isFlowVariableOfType(final String name, final Object t) {{
        Object value = m_vars.get(name);
        return value != null && value.getClass().equals(t.getClass());
    }}

    private static void log(final String level, final Object o, final Throwable t) {{
        System.err.println(level + ": " + o);
        if (t != null) {{
            t.printStackTrace();
        }}
    }}

    protected void logWarn(final Object o) {{ log("WARN", o, null); }}
    protected void logDebug(final Object o) {{ log("DEBUG", o, null); }}
    protected void logInfo(final Object o) {{ log("INFO", o, null); }}
    protected void logError(final Object o) {{ log("ERROR", o, null); }}
    protected void logFatal(final Object o) {{ log("FATAL", o, null); }}
    protected void logWarn(final Object o, final Throwable t) {{ log("WARN", o, t); }}
    protected void logDebug(final Object o, final Throwable t) {{ log("DEBUG", o, t); }}
    protected void logInfo(final Object o, final Throwable t) {{ log("INFO", o, t); }}
    protected void logError(final Object o, final Throwable t) {{ log("ERROR", o, t); }}
    protected void logFatal(final Object o, final Throwable t) {{ log("FATAL", o, t); }}
}}
"""

_ABSTRACT_EXPRESSION_JAVA = f"""package {_SCRIPT_PACKAGE};

/** The super class of a Java Snippet (simple) expression. */
public abstract class AbstractSnippetExpression {{
    public abstract Object internalEvaluate() throws Abort;
}}
"""

_VALUES_JAVA = """package knitflow;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import org.knime.base.node.jsnippet.expression.TypeException;

/** Reading and writing tagged values, and KNIME's cell-to-Java conversions. */
public final class Values {
    /** A cell knitflow did not send (the snippet does not call getCell). */
    public static final Object NOT_SENT = new Object();

    /** A cell whose type knitflow cannot hand to Java. */
    public static final class Unsupported {
        final String m_type;

        Unsupported(final String type) {
            m_type = type;
        }

        @Override
        public String toString() {
            return "<" + m_type + " cell>";
        }
    }

    private Values() {
    }

    static String readString(final DataInputStream in) throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    static void writeString(final DataOutputStream out, final String s) throws IOException {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.writeInt(b.length);
        out.write(b);
    }

    static Object read(final DataInputStream in) throws IOException {
        int tag = in.readByte();
        switch (tag) {
            case 'N': return null;
            case 'D': return in.readDouble();
            case 'I': return in.readInt();
            case 'J': return in.readLong();
            case 'Z': return in.readBoolean();
            case 'S': return readString(in);
            case 'U': return new Unsupported(readString(in));
            case 'A': {
                Object[] a = new Object[in.readInt()];
                for (int i = 0; i < a.length; i++) {
                    a[i] = read(in);
                }
                return a;
            }
            default: throw new IOException("unknown value tag " + tag);
        }
    }

    static void write(final DataOutputStream out, final Object v) throws IOException {
        if (v == null) {
            out.writeByte('N');
        } else if (v instanceof Double) {
            out.writeByte('D');
            out.writeDouble((Double)v);
        } else if (v instanceof Integer) {
            out.writeByte('I');
            out.writeInt((Integer)v);
        } else if (v instanceof Long) {
            out.writeByte('J');
            out.writeLong((Long)v);
        } else if (v instanceof Boolean) {
            out.writeByte('Z');
            out.writeBoolean((Boolean)v);
        } else if (v instanceof String) {
            out.writeByte('S');
            writeString(out, (String)v);
        } else if (v instanceof Object[]) {
            Object[] a = (Object[])v;
            out.writeByte('A');
            out.writeInt(a.length);
            for (Object e : a) {
                write(out, e);
            }
        } else {
            out.writeByte('X');
            writeString(out, v.getClass().getName());
            writeString(out, String.valueOf(v));
        }
    }

    static String text(final Object v) {
        if (v == null) {
            return "?";
        }
        if (v instanceof Object[]) {
            StringBuilder b = new StringBuilder("[");
            Object[] a = (Object[])v;
            for (int i = 0; i < a.length; i++) {
                b.append(i > 0 ? ", " : "").append(text(a[i]));
            }
            return b.append(']').toString();
        }
        return String.valueOf(v);
    }

    /** A cell value as the Java type of a field (KNIME's DataCellToJava converters). */
    public static Object convert(final Object v, final Class<?> target) {
        if (v == null) {
            return null;
        }
        if (v instanceof Unsupported) {
            throw new TypeException("knitflow cannot hand a " + ((Unsupported)v).m_type + " cell to Java");
        }
        if (target.isArray()) {
            if (!(v instanceof Object[])) {
                throw new TypeException("A " + v.getClass().getSimpleName() + " is not a collection");
            }
            Object[] src = (Object[])v;
            Class<?> component = target.getComponentType();
            Object result = Array.newInstance(component, src.length);
            for (int i = 0; i < src.length; i++) {
                Array.set(result, i, convert(src[i], component));
            }
            return result;
        }
        if (target == Object.class || (target.isInstance(v) && !(v instanceof Object[]))) {
            return v;
        }
        if (target == String.class) {
            return text(v);
        }
        boolean b = v instanceof Boolean;
        if (target == Double.class && (v instanceof Number || b)) {
            return b ? ((Boolean)v ? 1.0 : 0.0) : ((Number)v).doubleValue();
        }
        if (target == Long.class && (v instanceof Integer || b)) {
            return b ? ((Boolean)v ? 1L : 0L) : ((Number)v).longValue();
        }
        if (target == Integer.class && b) {
            return (Boolean)v ? 1 : 0;
        }
        throw new TypeException("A " + v.getClass().getSimpleName() + " value cannot be provided as "
            + target.getSimpleName());
    }

    /** A flow variable's value as the requested type. */
    public static Object convertVariable(final String name, final Object v, final Class<?> target) {
        if (v == null || target.isInstance(v)) {
            return v;
        }
        if (target == Double.class && (v instanceof Integer || v instanceof Long)) {
            return ((Number)v).doubleValue();
        }
        throw new TypeException("The flow variable \\"" + name + "\\" is of type "
            + v.getClass().getSimpleName() + " and cannot be provided as " + target.getSimpleName());
    }

    /** Whether a column of the knitflow type can provide the Java type. */
    public static boolean canConvert(final String columnType, final Class<?> target) {
        boolean collection = columnType.startsWith("List") || columnType.startsWith("Set");
        if (target.isArray()) {
            if (!collection) {
                return false;
            }
            int of = columnType.indexOf(" of ");
            String element = of < 0 ? "Unknown" : columnType.substring(of + 4);
            return canConvert(element, target.getComponentType());
        }
        if (target == String.class || target == Object.class) {
            return true;
        }
        switch (columnType) {
            case "Double": return target == Double.class;
            case "Long": return target == Long.class || target == Double.class;
            case "Integer": return target == Integer.class || target == Long.class || target == Double.class;
            case "Boolean":
                return target == Boolean.class || target == Integer.class || target == Long.class
                    || target == Double.class;
            default: return false;
        }
    }
}
"""

_RUNNER_JAVA = f"""package knitflow;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.lang.reflect.Field;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import {_JSNIPPET_PACKAGE}.AbstractJSnippet;
import {_SCRIPT_PACKAGE}.AbstractSnippetExpression;

/** Runs a compiled snippet over every row of the input file, answering into the output file. */
public final class Runner {{
    static final int OK = 0;
    static final int FAILED = 1;
    static final int ABORTED = 2;
    static final int FATAL = 3;
    static final int END = 9;

    private Runner() {{
    }}

    public static void main(final String[] args) throws Exception {{
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(new FileInputStream(args[2]), 1 << 16));
                DataOutputStream out =
                    new DataOutputStream(new BufferedOutputStream(new FileOutputStream(args[3]), 1 << 16))) {{
            try {{
                if (args[0].equals("jsnippet")) {{
                    snippet(args[1], in, out);
                }} else {{
                    expression(args[1], in, out);
                }}
            }} catch (Throwable t) {{
                Throwable cause = t instanceof ExceptionInInitializerError && t.getCause() != null ? t.getCause() : t;
                out.writeByte(FATAL);
                Values.writeString(out, "the snippet could not be set up: " + cause);
                out.writeByte(END);
                cause.printStackTrace();
            }}
            out.flush();
        }}
    }}

    private static Field[] fields(final Class<?> cls, final String[] names) throws NoSuchFieldException {{
        Field[] result = new Field[names.length];
        for (int i = 0; i < names.length; i++) {{
            result[i] = cls.getField(names[i]);
        }}
        return result;
    }}

    private static String[] strings(final DataInputStream in, final int n) throws java.io.IOException {{
        String[] result = new String[n];
        for (int i = 0; i < n; i++) {{
            result[i] = Values.readString(in);
        }}
        return result;
    }}

    private static void failure(final DataOutputStream out, final Throwable t, final String className)
        throws java.io.IOException {{
        out.writeByte(FAILED);
        Values.writeString(out, t.getClass().getSimpleName());
        Values.write(out, t.getMessage());
        int line = -1;
        for (StackTraceElement e : t.getStackTrace()) {{
            if (e.getClassName().equals(className)) {{
                line = e.getLineNumber();
            }}
        }}
        out.writeInt(line);
    }}

    static void snippet(final String className, final DataInputStream in, final DataOutputStream out)
        throws Exception {{
        int rowCount = in.readInt();
        int nColumns = in.readInt();
        List<String> columns = new ArrayList<>();
        List<String> types = new ArrayList<>();
        for (int i = 0; i < nColumns; i++) {{
            columns.add(Values.readString(in));
            types.add(Values.readString(in));
        }}
        Map<String, Object> vars = new LinkedHashMap<>();
        int nVars = in.readInt();
        for (int i = 0; i < nVars; i++) {{
            vars.put(Values.readString(in), Values.read(in));
        }}
        int[] sent = new int[in.readInt()];
        for (int i = 0; i < sent.length; i++) {{
            sent[i] = in.readInt();
        }}
        String[] inFields = strings(in, in.readInt());
        int[] inSlots = new int[inFields.length];
        for (int i = 0; i < inSlots.length; i++) {{
            inSlots[i] = in.readInt();
        }}
        String[] inVarFields = strings(in, in.readInt());
        String[] inVarNames = strings(in, inVarFields.length);
        String[] outFields = strings(in, in.readInt());
        String[] outVarFields = strings(in, in.readInt());
        String[] outVarNames = strings(in, outVarFields.length);

        Class<?> cls = Class.forName(className);
        AbstractJSnippet snippet = (AbstractJSnippet)cls.getDeclaredConstructor().newInstance();
        snippet.knitflow$setup(columns, types, vars, rowCount);
        Field[] inF = fields(cls, inFields);
        Field[] inVarF = fields(cls, inVarFields);
        Field[] outF = fields(cls, outFields);
        Field[] outVarF = fields(cls, outVarFields);
        Object[] cells = new Object[nColumns];
        Object[] values = new Object[sent.length];
        int rowIndex = 0;
        while (in.readByte() == 1) {{
            String rowId = Values.readString(in);
            for (int i = 0; i < values.length; i++) {{
                values[i] = Values.read(in);
            }}
            Arrays.fill(cells, Values.NOT_SENT);
            for (int i = 0; i < sent.length; i++) {{
                cells[sent[i]] = values[i];
            }}
            snippet.knitflow$row(rowId, rowIndex, cells);
            for (int i = 0; i < inF.length; i++) {{
                inF[i].set(snippet, Values.convert(values[inSlots[i]], inF[i].getType()));
            }}
            for (Field f : outF) {{
                f.set(snippet, null);
            }}
            for (int i = 0; i < inVarF.length; i++) {{
                inVarF[i].set(snippet, Values.convertVariable(inVarNames[i], vars.get(inVarNames[i]), inVarF[i].getType()));
            }}
            try {{
                snippet.snippet();
            }} catch ({_JSNIPPET_PACKAGE}.Abort abort) {{
                out.writeByte(ABORTED);
                Values.write(out, abort.getMessage());
                return;
            }} catch (Throwable t) {{
                if (outVarF.length > 0) {{
                    out.writeByte(FATAL);
                    Values.writeString(out, "An error occured in an expression with output flow variables.");
                    failure(out, t, className);
                    return;
                }}
                failure(out, t, className);
                rowIndex++;
                continue;
            }}
            for (int i = 0; i < outVarF.length; i++) {{
                Object value = outVarF[i].get(snippet);
                if (value == null) {{
                    out.writeByte(FATAL);
                    Values.writeString(out, "Flow variable \\"" + outVarNames[i] + "\\" has no value.");
                    out.writeByte(END);
                    return;
                }}
                vars.put(outVarNames[i], value);
            }}
            out.writeByte(OK);
            for (Field f : outF) {{
                Values.write(out, f.get(snippet));
            }}
            rowIndex++;
        }}
        out.writeByte(END);
        for (String name : outVarNames) {{
            Values.write(out, vars.get(name));
        }}
    }}

    static void expression(final String className, final DataInputStream in, final DataOutputStream out)
        throws Exception {{
        String[] names = strings(in, in.readInt());
        Class<?> cls = Class.forName(className);
        AbstractSnippetExpression expression = (AbstractSnippetExpression)cls.getDeclaredConstructor().newInstance();
        Field[] f = fields(cls, names);
        while (in.readByte() == 1) {{
            for (Field field : f) {{
                field.set(expression, Values.convert(Values.read(in), field.getType()));
            }}
            try {{
                Object result = expression.internalEvaluate();
                out.writeByte(OK);
                Values.write(out, result);
            }} catch ({_SCRIPT_PACKAGE}.Abort abort) {{
                out.writeByte(ABORTED);
                Values.write(out, abort.getMessage());
                return;
            }} catch (Throwable t) {{
                failure(out, t, className);
            }}
        }}
        out.writeByte(END);
    }}
}}
"""

RUNTIME_SOURCES: dict[str, str] = {
    f"{_JSNIPPET_PKG}/Abort.java": _exception(_JSNIPPET_PACKAGE, "Abort"),
    f"{_JSNIPPET_PKG}/TypeException.java": _exception(_JSNIPPET_PACKAGE, "TypeException"),
    f"{_JSNIPPET_PKG}/ColumnException.java": _exception(_JSNIPPET_PACKAGE, "ColumnException"),
    f"{_JSNIPPET_PKG}/FlowVariableException.java": _exception(_JSNIPPET_PACKAGE, "FlowVariableException"),
    f"{_JSNIPPET_PKG}/Type.java": _TYPE_JAVA,
    f"{_JSNIPPET_PKG}/Cell.java": _CELL_JAVA,
    f"{_JSNIPPET_PKG}/AbstractJSnippet.java": _ABSTRACT_JSNIPPET_JAVA,
    f"{_SCRIPT_PKG}/Abort.java": _exception(_SCRIPT_PACKAGE, "Abort"),
    f"{_SCRIPT_PKG}/AbstractSnippetExpression.java": _ABSTRACT_EXPRESSION_JAVA,
    "knitflow/Values.java": _VALUES_JAVA,
    "knitflow/Runner.java": _RUNNER_JAVA,
}

# answer codes of knitflow.Runner
OK, FAILED, ABORTED, FATAL, END = 0, 1, 2, 3, 9


# --------------------------------------------------------------------------------- generated source


@dataclass
class Source:
    """A generated Java file built from generated text and the user's settings, remembering which
    lines came from which setting so that javac's line numbers can be told in the user's terms."""

    parts: list[tuple[str | None, str]] = field(default_factory=list)

    def add(self, text: str, setting: str | None = None) -> None:
        if text and not text.endswith("\n"):
            text += "\n"
        self.parts.append((setting, text))

    @property
    def text(self) -> str:
        return "".join(text for _, text in self.parts)

    def locate(self, line: int) -> tuple[str | None, int]:
        """(setting, line within it) of a line of the file; (None, line) for generated code."""
        start = 1
        for setting, text in self.parts:
            count = text.count("\n")
            if start <= line < start + count:
                return (setting, line - start + 1) if setting else (None, line)
            start += count
        return None, line

    def describe(self, line: int) -> str:
        setting, where = self.locate(line)
        return f"line {where} of {setting}" if setting else f"line {line} of the generated class"


# ------------------------------------------------------------------------------------- compilation

_CACHE_VERSION = "1"
_ERROR_LINE = re.compile(r"^(.*?\.java):(\d+): error: (.*)$")


def _classpath(jars: Sequence[str]) -> list[str]:
    paths = []
    for jar in jars:
        path = Path(jar.removeprefix("file:")).expanduser()
        if not path.exists():
            raise NodeError(f"the jar file {jar!r} does not exist", setting="jarFiles")
        paths.append(str(path.resolve()))
    return paths


def _javac(
    javac: str, files: list[str], out_dir: Path, classpath: Sequence[str], archives: Path
) -> subprocess.CompletedProcess[str]:
    """javac, started from a class-data archive of its own classes when one exists (a third less
    CPU per compilation); the first compilation writes it."""
    cmd = [javac, "-J-XX:TieredStopAtLevel=1", "-J-XX:+UseSerialGC"]
    stat = Path(javac).resolve().stat()
    archive = archives / f"javac-{_digest(str(Path(javac).resolve()), str(stat.st_mtime_ns))[:16]}.jsa"
    fresh = None
    if archive.is_file():
        cmd.append(f"-J-XX:SharedArchiveFile={archive}")
    else:
        archives.mkdir(parents=True, exist_ok=True)
        fresh = archives / f"tmp-{os.getpid()}-{time.monotonic_ns()}.jsa"
        cmd.append(f"-J-XX:ArchiveClassesAtExit={fresh}")
    cmd += ["-encoding", "UTF-8", "-proc:none", "-nowarn", "-g", "-Xmaxerrs", "20", "-d", str(out_dir)]
    if classpath:
        cmd += ["-cp", os.pathsep.join(classpath)]
    done = subprocess.run(cmd + files, capture_output=True, text=True, encoding="utf-8", errors="replace")
    if done.returncode != 0 and "error:" not in done.stdout + done.stderr:  # a JVM without CDS archives
        cmd = [c for c in cmd if "Archive" not in c]
        done = subprocess.run(cmd + files, capture_output=True, text=True, encoding="utf-8", errors="replace")
    if fresh is not None:
        if done.returncode == 0 and fresh.is_file():
            fresh.replace(archive)
        else:
            fresh.unlink(missing_ok=True)
    return done


def _cached(cache: Path, key: str, build: Callable[[Path], None]) -> Path:
    """cache/<key>/classes, built by `build(work dir)` unless a finished build is there."""
    target = cache / key
    if (target / "ok").is_file():
        return target / "classes"
    cache.mkdir(parents=True, exist_ok=True)
    work = cache / f"tmp-{os.getpid()}-{time.monotonic_ns()}"
    try:
        build(work)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    (work / "ok").write_text("", encoding="utf-8")
    try:
        work.rename(target)
    except OSError:  # another run built the same meanwhile
        shutil.rmtree(work, ignore_errors=True)
    return target / "classes"


def _digest(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in (_CACHE_VERSION, *parts):
        digest.update(part.encode("utf-8", "replace") + b"\0")
    return digest.hexdigest()[:32]


def _write_sources(src: Path, sources: Sequence[tuple[str, str]]) -> list[str]:
    files = []
    for rel, code in sources:
        path = src / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(code, encoding="utf-8")
        files.append(str(path))
    return files


def runtime_classes(cache: Path) -> Path:
    """The compiled runtime (KNIME's snippet classes and knitflow.Runner), shared by every snippet."""
    javac, _ = require_jdk()

    def build(work: Path) -> None:
        files = _write_sources(work / "src", list(RUNTIME_SOURCES.items()))
        done = _javac(javac, files, work / "classes", [], cache)
        if done.returncode != 0:
            raise NodeError(
                f"knitflow's Java runtime does not compile with {javac}:\n{done.stdout}{done.stderr}"
            )

    return _cached(cache, "runtime-" + _digest(javac, *RUNTIME_SOURCES.values()), build)


def compile_snippet(
    class_name: str,
    source: Source,
    ctx: NodeContext,
    jars: Sequence[str],
    default_setting: str,
) -> list[str]:
    """The class path of the compiled snippet (its classes, the runtime's, the jars), compiled now
    or found in the caches: the runtime in the scratch root, the snippet in the node's scratch."""
    javac, _ = require_jdk()
    runtime = runtime_classes(ctx.scratch_dir.parent / "java-runtime")
    libraries = _classpath(jars)
    text = source.text

    def build(work: Path) -> None:
        files = _write_sources(work / "src", [(f"{class_name}.java", text)])
        started = time.perf_counter()
        done = _javac(javac, files, work / "classes", [str(runtime), *libraries], runtime.parent.parent)
        if done.returncode != 0:
            raise compile_error(done.stdout + done.stderr, f"{class_name}.java", source, default_setting)
        ctx.log(f"compiled {class_name} with javac in {time.perf_counter() - started:.2f} s")

    key = _digest(javac, str(runtime), class_name, text, *libraries)
    classes = _cached(ctx.scratch_dir / "java", key, build)
    return [str(classes), str(runtime), *libraries]


def compile_error(output: str, file_name: str, source: Source, default_setting: str) -> NodeError:
    """javac's errors in the user's terms: the setting and the line within it."""
    errors: list[tuple[str | None, str]] = []
    lines = output.splitlines()
    i = 0
    while i < len(lines):
        m = _ERROR_LINE.match(lines[i])
        i += 1
        if m is None:
            continue
        details = []
        skipped_source = False
        while i < len(lines) and not _ERROR_LINE.match(lines[i]) and not re.match(r"^\d+ errors?$", lines[i]):
            line = lines[i]
            i += 1
            if not skipped_source:
                skipped_source = True  # javac repeats the offending source line, then a caret
                continue
            if line.strip() == "^":
                continue
            details.append(line.strip())
        if Path(m[1]).name == file_name:
            setting, where = source.locate(int(m[2]))
            place = f"{setting} line {where}" if setting else f"line {where} of the generated class"
        else:
            setting, place = None, Path(m[1]).name + " line " + m[2]
        errors.append((setting, f"Error in {place}: {m[3]}" + "".join(f"\n  {d}" for d in details)))
    if not errors:
        return NodeError(f"javac failed:\n{output.strip()}", setting=default_setting)
    message = "the Java code does not compile:\n" + "\n".join(text for _, text in errors)
    return NodeError(message, setting=next((s for s, _ in errors if s), default_setting))


# ------------------------------------------------------------------------------------ values out

_D = struct.Struct(">cd")
_I = struct.Struct(">ci")
_J = struct.Struct(">cq")
_INT = struct.Struct(">i")
NULL = b"N"
_STRINGLIKE = {ColumnType.STRING, ColumnType.SMILES, ColumnType.JSON, ColumnType.XML, ColumnType.URI}


def is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def encode_string(text: str) -> bytes:
    data = text.encode("utf-8", "replace")
    return _INT.pack(len(data)) + data


def encode_int(n: int) -> bytes:
    return _INT.pack(n)


def value_kind(col_type: str) -> str:
    """How cells of a knitflow column type travel: D, I, J, Z, S, A:<element kind>, ? (by Python
    type), or U:<type> (Java cannot be handed such a cell)."""
    if col_type == ColumnType.DOUBLE:
        return "D"
    if col_type == ColumnType.INTEGER:
        return "I"
    if col_type == ColumnType.LONG:
        return "J"
    if col_type == ColumnType.BOOLEAN:
        return "Z"
    if col_type in _STRINGLIKE:
        return "S"
    if ColumnType.collection_kind(col_type):
        element = ColumnType.element_of(col_type)
        return "A:" + ("?" if element == ColumnType.UNKNOWN else value_kind(element))
    return "U:" + col_type


def encode_value(value: Any, kind: str) -> bytes:
    if not isinstance(value, tuple | list) and is_missing(value):
        return NULL
    if kind == "D":
        return _D.pack(b"D", float(value))
    if kind == "I":
        return _I.pack(b"I", int(value))
    if kind == "J":
        return _J.pack(b"J", int(value))
    if kind == "Z":
        return b"Z\x01" if value else b"Z\x00"
    if kind == "S":
        return b"S" + encode_string(str(value))
    if kind.startswith("A:"):
        element = kind[2:]
        items = list(value) if isinstance(value, tuple | list | set | frozenset) else [value]
        return b"A" + _INT.pack(len(items)) + b"".join(encode_value(e, element) for e in items)
    if kind == "?":
        return encode_value(value, _python_kind(value))
    return b"U" + encode_string(kind.removeprefix("U:"))


def _python_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "Z"
    if isinstance(value, int):
        return "I" if -(2**31) <= value < 2**31 else "J"
    if isinstance(value, float):
        return "D"
    if isinstance(value, str):
        return "S"
    if isinstance(value, tuple | list):
        return "A:?"
    return "U:" + type(value).__name__


def encode_column(values: Sequence[Any], kind: str) -> list[bytes]:
    """The encoded cells of one column, fast paths for the plain types."""
    if kind == "D":
        pack_d = _D.pack
        return [NULL if v is None or v != v else pack_d(b"D", v) for v in map(_float_or_none, values)]
    if kind in ("I", "J"):
        packer = _I.pack if kind == "I" else _J.pack
        tag = kind.encode()
        return [NULL if is_missing(v) else packer(tag, int(v)) for v in values]
    return [encode_value(v, kind) for v in values]


def _float_or_none(value: Any) -> float | None:
    return None if value is None or value is pd.NA else float(value)


def column_values(table: Any, name: str) -> list[Any]:
    """A column's cells as Python objects, missing ones None."""
    return [
        None if (not isinstance(v, tuple | list) and is_missing(v)) else v
        for v in table.column(name).tolist()
    ]


# ------------------------------------------------------------------------------------- values in


@dataclass(frozen=True)
class JavaObject:
    """A result of another Java class than the protocol knows (version-1 expressions)."""

    class_name: str
    text: str


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise EOFError
        b = self.data[self.pos]
        self.pos += 1
        return b

    def int(self) -> int:
        (n,) = _INT.unpack_from(self.data, self.pos)
        self.pos += 4
        return int(n)

    def string(self) -> str:
        n = self.int()
        text = self.data[self.pos : self.pos + n].decode("utf-8", "replace")
        self.pos += n
        return text

    def value(self) -> Any:
        tag = chr(self.byte())
        if tag == "N":
            return None
        if tag == "D":
            (d,) = struct.unpack_from(">d", self.data, self.pos)
            self.pos += 8
            return float(d)
        if tag == "I":
            return self.int()
        if tag == "J":
            (q,) = struct.unpack_from(">q", self.data, self.pos)
            self.pos += 8
            return int(q)
        if tag == "Z":
            return self.byte() != 0
        if tag == "S":
            return self.string()
        if tag == "A":
            return tuple(self.value() for _ in range(self.int()))
        if tag == "X":
            return JavaObject(self.string(), self.string())
        raise NodeError(f"the Java runner answered with an unknown value tag {tag!r}")


@dataclass(frozen=True)
class RowFailure:
    """A Java exception thrown for one row."""

    exception: str
    message: str | None
    line: int


def read_failure(reader: Reader) -> RowFailure:
    return RowFailure(reader.string(), reader.value(), reader.int())


# ------------------------------------------------------------------------------------------ running


def run_java(
    mode: str,
    class_name: str,
    classpath: Sequence[str],
    payload: bytes,
    ctx: NodeContext,
) -> bytes:
    """Run knitflow.Runner once over the payload; its answer. The JVM's own output (the snippet's
    System.out, logWarn & co.) goes to the node's log."""
    _, java = require_jdk()
    work_dir = ctx.scratch_dir / "java"
    work_dir.mkdir(parents=True, exist_ok=True)
    stamp = f"{os.getpid()}-{time.monotonic_ns()}"
    in_path, out_path, log_path = (work_dir / f"{stamp}.{ext}" for ext in ("in", "out", "log"))
    in_path.write_bytes(payload)
    cmd = [java, "-XX:+UseSerialGC", "-Xshare:auto", "-Duser.language=en", "-Duser.country=US"]
    cmd += ["-Dfile.encoding=UTF-8", "-Dstdout.encoding=UTF-8", "-Dstderr.encoding=UTF-8"]
    cmd += [
        "-cp",
        os.pathsep.join(classpath),
        "knitflow.Runner",
        mode,
        class_name,
        str(in_path),
        str(out_path),
    ]
    try:
        with log_path.open("wb") as log:
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT)
            try:
                while True:
                    try:
                        proc.wait(timeout=0.05)
                        break
                    except subprocess.TimeoutExpired:
                        ctx.check_cancelled()
            except BaseException:
                proc.kill()
                proc.wait()
                raise
        output = log_path.read_text(encoding="utf-8", errors="replace")
        for line in output.splitlines()[:200]:
            ctx.log(line)
        if proc.returncode != 0:
            tail = "\n".join(output.splitlines()[-15:])
            raise NodeError(f"the Java process failed (exit code {proc.returncode}):\n{tail}")
        return out_path.read_bytes()
    finally:
        for path in (in_path, out_path, log_path):
            path.unlink(missing_ok=True)
