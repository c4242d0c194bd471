// A bar chart of exact amounts (ECharts, SVG): one series per currency would mix units, so
// each chart is of one currency, named on the amount axis; the bars' labels and tooltips are
// the exact amounts (money.ts), the bar lengths the only floats.
import { BarChart as Bars } from "echarts/charts";
import { AriaComponent, GridComponent, TooltipComponent } from "echarts/components";
import * as echarts from "echarts/core";
import { SVGRenderer } from "echarts/renderers";
import { useEffect, useRef } from "react";
import { usePreferences } from "../../i18n/I18n";
import { formatMoney } from "../../money";
import { chartUnits } from "./sums";

echarts.use([Bars, GridComponent, TooltipComponent, AriaComponent, SVGRenderer]);

export interface Bar {
  label: string;
  amount: string; // a decimal string of `currency`
}

export function AmountBars({ bars, currency, axis, testId }: { bars: Bar[]; currency: string; axis: string; testId: string }) {
  const { lang } = usePreferences();
  const element = useRef<HTMLDivElement>(null);

  useEffect(() => {
    if (element.current === null) return;
    const chart = echarts.init(element.current, undefined, { renderer: "svg" });
    const grouped = new Intl.NumberFormat(lang === "zh" ? "zh-CN" : "en-US", { maximumFractionDigits: 2 });
    chart.setOption({
      aria: { enabled: true },
      animation: false,
      grid: { left: 24, right: 120, top: 32, bottom: 24, containLabel: true },
      tooltip: {
        trigger: "item",
        formatter: (p: { name: string; dataIndex: number }) =>
          `${p.name}: ${formatMoney(bars[p.dataIndex]?.amount ?? "0", currency, lang)}`,
      },
      xAxis: {
        type: "value",
        name: `${axis} (${currency})`,
        nameLocation: "middle",
        nameGap: 28,
        axisLabel: { formatter: (v: number) => grouped.format(v) },
      },
      yAxis: { type: "category", data: bars.map((b) => b.label), inverse: true },
      series: [
        {
          type: "bar",
          data: bars.map((b) => chartUnits(b.amount)),
          itemStyle: { color: "#0b5cad" },
          label: {
            show: true,
            position: "right",
            formatter: (p: { dataIndex: number }) => formatMoney(bars[p.dataIndex]?.amount ?? "0", currency, lang),
          },
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
  }, [bars, currency, axis, lang]);

  return (
    <div
      ref={element}
      data-testid={testId}
      role="img"
      aria-label={`${axis} (${currency})`}
      style={{ width: "100%", height: Math.max(160, bars.length * 48 + 80) }}
    />
  );
}
