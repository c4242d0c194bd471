// The lineage (穿透) as an ECharts tree, drawn in SVG: every node with its piece number,
// amount, holder and state; pieces the viewer may not see are drawn as hidden.
import { TreeChart } from "echarts/charts";
import { TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import type { LineageNode } from "../api/client";
import { usePreferences } from "../i18n/I18n";
import type { MessageKey } from "../i18n/messages";
import { formatMoney } from "../money";

echarts.use([TreeChart, TooltipComponent, SVGRenderer]);

const COLOURS: Record<string, string> = {
  pending: "#d4b106",
  active: "#389e0d",
  financing: "#1677ff",
  financed: "#2f54eb",
  settled: "#8c8c8c",
  overdue: "#d46b08",
  defaulted: "#cf1322",
  rejected: "#cf1322",
  cancelled: "#8c8c8c",
  awaiting_confirmation: "#08979c",
};

interface TreeDatum {
  name: string;
  value: string;
  children: TreeDatum[];
  itemStyle: { color: string; borderColor: string; borderWidth: number };
  symbolSize: number;
}

function count(node: LineageNode): number {
  return node.children.length === 0 ? 1 : node.children.reduce((n, c) => n + count(c), 0);
}

export function LineageTree({
  tree,
  currency,
  focus,
  nameOf,
}: {
  tree: LineageNode;
  currency: string;
  focus: number;
  nameOf: (address: string | null) => string;
}) {
  const { t, lang } = usePreferences();
  const element = useRef<HTMLDivElement>(null);
  const leaves = count(tree);

  useEffect(() => {
    if (element.current === null) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    const datum = (node: LineageNode): TreeDatum => {
      const amount = formatMoney(node.value, currency, lang);
      const state = node.state ?? "none";
      const lines = node.redacted
        ? [`#${node.token_id}  ${amount}`, `(${t("piece.redacted")})`]
        : [`#${node.token_id}  ${amount}`, nameOf(node.holder ?? null), t(`state.${state}` as MessageKey)];
      return {
        name: lines.join("\n"),
        value: amount,
        children: node.children.map(datum),
        itemStyle: {
          color: node.redacted ? "#d9d9d9" : (COLOURS[state] ?? "#595959"),
          borderColor: node.token_id === focus ? "#000" : "#fff",
          borderWidth: node.token_id === focus ? 3 : 1,
        },
        symbolSize: node.token_id === focus ? 18 : 12,
      };
    };
    chart.setOption({
      aria: { enabled: true },
      tooltip: { trigger: "item", formatter: (p: { name: string }) => p.name.replace(/\n/g, "<br/>") },
      series: [
        {
          type: "tree",
          data: [datum(tree)],
          orient: "LR",
          top: 24,
          bottom: 24,
          left: 140,
          right: 200,
          expandAndCollapse: false,
          initialTreeDepth: -1,
          label: { position: "left", verticalAlign: "middle", align: "right", fontSize: 12, lineHeight: 16 },
          leaves: { label: { position: "right", verticalAlign: "middle", align: "left" } },
          lineStyle: { width: 1.5 },
          animation: false,
        },
      ],
    });
    const resize = () => {
      chart.resize();
    };
    window.addEventListener("resize", resize);
    return () => {
      window.removeEventListener("resize", resize);
      chart.dispose();
    };
  }, [tree, currency, focus, lang, t, nameOf]);

  return (
    <div
      ref={element}
      className="lineage-tree"
      data-testid="lineage-tree"
      role="img"
      aria-label={t("piece.lineage")}
      style={{ height: Math.max(220, leaves * 72) }}
    />
  );
}
