// An Ant Design table over `usePages`: loading, empty and error states, Previous / Next.
import { Button, Empty, Space, Table, type TableColumnsType, type TableProps } from "antd";
import type { Pages } from "../api/usePages";
import { usePreferences } from "../i18n/I18n";
import { ProblemAlert } from "./ProblemAlert";

export function PagedTable<T extends object>({
  pages,
  columns,
  rowKey,
  label,
  rowSelection,
}: {
  pages: Pages<T>;
  columns: TableColumnsType<T>;
  rowKey: keyof T & string;
  label: string;
  rowSelection?: TableProps<T>["rowSelection"];
}) {
  const { t } = usePreferences();
  if (pages.problem !== null) {
    return <ProblemAlert problem={pages.problem} onRetry={pages.reload} />;
  }
  return (
    <>
      <Table<T>
        aria-label={label}
        size="middle"
        columns={columns}
        dataSource={pages.items}
        rowKey={rowKey}
        rowSelection={rowSelection}
        loading={pages.loading}
        pagination={false}
        scroll={{ x: "max-content" }}
        locale={{ emptyText: <Empty description={t("common.empty")} /> }}
      />
      <Space className="pager">
        <Button disabled={pages.page <= 1 || pages.loading} onClick={pages.previous}>
          {t("common.previous")}
        </Button>
        <span aria-live="polite">{pages.page}</span>
        <Button disabled={!pages.hasNext || pages.loading} onClick={pages.next}>
          {t("common.next")}
        </Button>
        <Button onClick={pages.reload}>{t("common.refresh")}</Button>
      </Space>
    </>
  );
}
