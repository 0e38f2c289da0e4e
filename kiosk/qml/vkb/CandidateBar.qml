// The Pinyin candidate bar, paged by taps. Qt Virtual Keyboard's own bar can only be scrolled
// by swiping; kiosk.md section 6 asks for tap only (MIIT §2.2, WCAG 2.5.7), so the style hides
// that bar (selectionListHeight: 0) and this one shows the input method's candidate model
// (InputContext.inputEngine.wordCandidateListModel, the same model the built-in bar shows).
// A page is the candidates that fit whole between 上一页 and 下一页; a candidate cut by the
// edge waits for the next page. Every candidate and both page keys are key-sized (isKey).
import QtQuick
import QtQuick.VirtualKeyboard
import "../components"

Rectangle {
    id: bar
    objectName: "candidateBar"
    color: theme.color.bar
    height: theme.candidatePx

    readonly property var model: InputContext.inputEngine.wordCandidateListModel
    property var starts: []   // first candidate of each earlier page, for 上一页
    property int first: 0     // first candidate on this page
    property int last: -1     // last candidate wholly on this page
    readonly property bool hasPrev: starts.length > 0
    readonly property bool hasNext: last + 1 < list.count

    function nextPage() {
        if (!hasNext)
            return
        starts = starts.concat([first])
        show(last + 1)
    }
    function prevPage() {
        if (!hasPrev)
            return
        const earlier = starts.slice()
        const start = earlier.pop()
        starts = earlier
        show(start)
    }
    function reset() {
        starts = []
        show(0)
    }
    function show(index) {
        first = index
        if (list.count > 0)
            list.positionViewAtIndex(index, ListView.Beginning)
        measure()
    }
    // The last candidate whose whole box is inside the list (at least the first, however long).
    function measure() {
        if (list.count === 0) {
            last = -1
            return
        }
        const right = list.contentX + list.width
        const edge = list.indexAt(right - 1, list.height / 2)
        if (edge < 0) {
            last = list.count - 1   // the candidates end before the right edge
            return
        }
        const cell = list.itemAtIndex(edge)
        const whole = cell !== null && cell.x + cell.width <= right + 0.5
        last = Math.max(first, whole ? edge : edge - 1)
    }

    // New letters, a chosen candidate or a new field: back to the first page.
    Connections {
        target: bar.model
        function onCountChanged() { Qt.callLater(bar.reset) }
    }
    Connections {
        target: InputContext
        function onPreeditTextChanged() { Qt.callLater(bar.reset) }
    }

    PageKey {
        id: prev
        objectName: "candidatePrev"
        anchors { left: parent.left; top: parent.top; bottom: parent.bottom }
        label: "上一页"
        active: bar.hasPrev
        onTapped: bar.prevPage()
    }
    PageKey {
        id: next
        objectName: "candidateNext"
        anchors { right: parent.right; top: parent.top; bottom: parent.bottom }
        label: "下一页"
        active: bar.hasNext
        onTapped: bar.nextPage()
    }

    ListView {
        id: list
        objectName: "candidateList"
        anchors { left: prev.right; right: next.left; top: parent.top; bottom: parent.bottom }
        orientation: ListView.Horizontal
        interactive: false   // no swiping: the page keys move it
        clip: true
        currentIndex: -1
        highlightFollowsCurrentItem: false
        model: bar.model
        onWidthChanged: Qt.callLater(bar.show, bar.first)
        delegate: Item {
            id: candidate
            required property int index
            required property string display
            readonly property bool isKey: true   // measured by tests/kiosk/test_ui_targets.py
            width: Math.min(list.width, Math.max(theme.keyMinWidthPx, word.implicitWidth + 2 * theme.gapPx))
            height: list.height
            visible: index >= bar.first && index <= bar.last
            Accessible.role: Accessible.Button
            Accessible.name: display
            Rectangle {
                anchors { fill: parent; margins: theme.keyGapPx / 2 }
                radius: 10
                color: tap.pressed ? theme.color.blue : theme.keyFill
                border.width: tap.pressed ? 6 : 0
                border.color: theme.color.onFill
                KText {
                    id: word
                    anchors.centerIn: parent
                    width: Math.min(implicitWidth, candidate.width - 2 * theme.keyGapPx)
                    role: "label"
                    text: candidate.display
                    font.pixelSize: theme.keyLabelPx
                    color: theme.color.onFill
                    wrapMode: Text.NoWrap
                    elide: Text.ElideRight
                    lineHeight: 1.0
                }
            }
            MouseArea {
                id: tap
                anchors.fill: parent
                onClicked: bar.model.selectItem(candidate.index)
            }
        }
    }

    // 上一页 / 下一页: words, key-sized, blue while there is a page that way; dimmed (like an
    // inactive key) when there is none.
    component PageKey: Item {
        id: page
        property string label
        property bool active
        readonly property bool isKey: true
        signal tapped()
        width: Math.max(theme.keyMinWidthPx, pageWord.implicitWidth + theme.gapPx + theme.keyGapPx)
        Accessible.role: Accessible.Button
        Accessible.name: label
        Accessible.onPressAction: page.tapped()
        Rectangle {
            anchors { fill: parent; margins: theme.keyGapPx / 2 }
            radius: 10
            color: !page.active ? theme.color.bar : (pageTap.pressed ? theme.color.slate : theme.color.blue)
            border.width: page.active && pageTap.pressed ? 6 : 3
            border.color: page.active ? theme.color.onFill : theme.color.slate
            KText {
                id: pageWord
                anchors.centerIn: parent
                role: "label"
                text: page.label
                font.pixelSize: theme.keyLabelPx
                color: theme.color.onFill
                opacity: page.active ? 1.0 : 0.4   // nothing that way: dimmed, does nothing
                wrapMode: Text.NoWrap
                lineHeight: 1.0
            }
        }
        MouseArea {
            id: pageTap
            anchors.fill: parent
            onClicked: if (page.active) page.tapped()
        }
    }
}
