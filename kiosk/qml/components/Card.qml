// A white panel for reading text on the cream page.
import QtQuick

Rectangle {
    color: theme.color.card
    radius: 12
    border.width: 2
    border.color: theme.color.slate
}
