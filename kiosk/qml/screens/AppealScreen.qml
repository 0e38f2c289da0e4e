// 我要反映, one question per step: category, village, words (Pinyin keyboard), phone, confirm.
import QtQuick
import QtQuick.Layouts
import QtQuick.Controls
import "../components"

Item {
    id: root
    objectName: "appealScreen"

    // The keyboard belongs to the text step only; whatever moved the form on, put it away.
    Connections {
        target: appeal
        function onChanged() { if (appeal.step !== "text") { Qt.inputMethod.hide(); field.focus = false } }
    }

    // Step 1: what kind of matter.
    ColumnLayout {
        visible: appeal.step === "category"
        anchors.fill: parent
        spacing: theme.gapPx
        KText { text: "您要反映哪一类事？"; role: "body" }
        GridLayout {
            Layout.fillWidth: true; Layout.fillHeight: true
            columns: theme.on ? 3 : 4
            rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            Repeater {
                model: appeal.categories
                KButton {
                    objectName: "cat_" + modelData.id
                    Layout.fillWidth: true; Layout.fillHeight: true
                    label: modelData.label; fill: "red"
                    onClicked: appeal.chooseCategory(modelData.id)
                }
            }
        }
    }

    // Step 2: which village.
    ColumnLayout {
        visible: appeal.step === "village"
        anchors.fill: parent
        spacing: theme.gapPx
        KText { text: "是哪个村的事？"; role: "body" }
        GridLayout {
            Layout.fillWidth: true
            columns: 3; rowSpacing: theme.gapPx; columnSpacing: theme.gapPx
            Repeater {
                model: appeal.villages
                KButton {
                    objectName: "village_" + modelData.id
                    Layout.fillWidth: true
                    label: modelData.label; fill: "blue"
                    onClicked: appeal.chooseVillage(modelData.id)
                }
            }
        }
        Item { Layout.fillHeight: true }
        KButton { objectName: "btnStepBack"; label: "上一步"; fill: "slate"; onClicked: appeal.stepBack() }
    }

    // Step 3: the words, typed with the Pinyin keyboard; the field and buttons sit side by side
    // so that they stay above the keyboard.
    RowLayout {
        visible: appeal.step === "text"
        anchors.fill: parent
        spacing: theme.gapPx
        ColumnLayout {
            Layout.fillWidth: true; Layout.fillHeight: true
            spacing: theme.gapPx / 2
            KText { text: appeal.error !== "" ? appeal.error : "请写一写是什么事（" + appeal.categoryLabel + "）"
                    role: "small"; wrapMode: Text.NoWrap; elide: Text.ElideRight; Layout.fillWidth: true
                    color: appeal.error !== "" ? theme.color.red : theme.color.ink }
            Rectangle {
                Layout.fillWidth: true; Layout.fillHeight: true
                Layout.minimumHeight: theme.targetPx
                color: theme.color.card; border.width: 3; border.color: theme.color.blue; radius: 8
                readonly property bool isTarget: true
                TextArea {
                    id: field
                    objectName: "appealText"
                    anchors { fill: parent; margins: 8 }
                    font.pixelSize: theme.bodyPx
                    font.family: "Noto Sans CJK SC"
                    color: theme.color.ink
                    wrapMode: TextEdit.Wrap
                    background: null
                    text: appeal.text
                    onTextChanged: if (text !== appeal.text) appeal.setText(text)
                    inputMethodHints: Qt.ImhNoPredictiveText
                }
            }
        }
        RowLayout {
            Layout.alignment: Qt.AlignTop
            spacing: theme.gapPx
            KButton { objectName: "btnTextNext"; label: "下一步"; fill: "green"; Layout.fillWidth: true
                      enabledLook: appeal.canContinue; onClicked: { Qt.inputMethod.commit(); Qt.inputMethod.hide(); appeal.toPhone() } }
            KButton { objectName: "btnStepBack2"; label: "上一步"; fill: "slate"; Layout.fillWidth: true
                      onClicked: appeal.stepBack() }
        }
    }

    // Step 4: optional phone, on a digit keypad (the number is masked once complete).
    RowLayout {
        visible: appeal.step === "phone"
        anchors.fill: parent
        spacing: theme.marginPx
        Keypad {
            Layout.alignment: Qt.AlignTop
            onDigit: (d) => appeal.pressDigit(d)
            onErase: appeal.erasePhone()
        }
        ColumnLayout {
            Layout.fillWidth: true; Layout.alignment: Qt.AlignTop
            spacing: theme.gapPx
            KText { Layout.fillWidth: true; text: appeal.error !== "" ? appeal.error : "要回电话的话，请留手机号（可以不留）"
                    color: appeal.error !== "" ? theme.color.red : theme.color.ink }
            KText { objectName: "phoneShown"; Layout.fillWidth: true; role: "title"; text: appeal.phoneMasked }
            KButton { objectName: "btnPhoneNext"; label: "下一步"; fill: "green"; onClicked: appeal.toConfirm() }
            KButton { objectName: "btnSkipPhone"; label: "不留电话"; fill: "blue"; onClicked: appeal.skipPhone() }
        }
    }

    // Step 5: read back and send.
    ColumnLayout {
        visible: appeal.step === "confirm"
        anchors.fill: parent
        spacing: theme.gapPx
        Card {
            Layout.fillWidth: true; Layout.fillHeight: true
            ColumnLayout {
                anchors { fill: parent; margins: theme.marginPx / 2 }
                spacing: 0
                KText { Layout.fillWidth: true; text: "类别：" + appeal.categoryLabel + "　村：" + appeal.villageLabel }
                KText { Layout.fillWidth: true; text: "电话：" + appeal.phoneMasked }
                KText { objectName: "confirmText"; Layout.fillWidth: true; Layout.fillHeight: true
                        text: "内容：" + appeal.text; elide: Text.ElideRight; verticalAlignment: Text.AlignTop }
            }
        }
        RowLayout {
            spacing: theme.gapPx
            KButton { objectName: "btnSubmit"; label: "确认提交"; fill: "green"; onClicked: appeal.submit() }
            KButton { objectName: "btnStepBack3"; label: "上一步"; fill: "slate"; onClicked: appeal.stepBack() }
        }
    }
}
